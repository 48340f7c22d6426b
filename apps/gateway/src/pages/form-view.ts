/**
 * The HTML forms are drawn from the parsers' own FormSpecs, so a page offers every field the API
 * takes, with its default, and the server's messages beside the field they are about.
 */
import { fieldHelp, type FieldSpec, type FormErrors, type FormSpec } from '../forms/index.ts';

export interface Choice { value: string; label: string }

/** How one field is drawn: what the template needs and nothing else. */
export interface FieldView {
  name: string;
  label: string;
  help: string;
  control: 'text' | 'number' | 'checkbox' | 'select' | 'radio' | 'textarea' | 'file';
  value: string;
  checked: boolean;
  choices: Choice[];
  errors: string[];
  required: boolean;
  step?: string;
  min?: number;
  max?: number;
}

export interface SectionView { legend: string; id: string; fields: FieldView[] }

/** A field drawn differently from what its FieldSpec suggests (a dataset picker, a network radio…). */
export type ControlOverride = Partial<Pick<FieldView, 'control' | 'choices' | 'label' | 'help'>>;

export interface FormLayout {
  spec: FormSpec;
  /** Sections in page order; fields of the spec named in none of them land in "More options". */
  sections: { legend: string; fields: string[] }[];
  /** File inputs (not in the spec: uploads are read apart from fields). */
  uploads?: readonly string[];
  overrides?: Record<string, ControlOverride>;
  /** Booleans DIGITS' pages tick by default although an omitted one reads false (§1.4). */
  checkedByDefault?: readonly string[];
}

/** The value a field starts with: its spec's default, as text. */
function defaultText(spec: FieldSpec): string {
  if (spec.kind === 'select') return spec.default;
  if ((spec.kind === 'int' || spec.kind === 'float') && spec.default !== undefined && spec.default !== null) return String(spec.default);
  if ((spec.kind === 'multi-float' || spec.kind === 'multi-int') && spec.default) return spec.default.join(',');
  return '';
}

function controlOf(name: string, spec: FieldSpec | undefined): FieldView['control'] {
  if (!spec) return 'file';
  if (spec.kind === 'bool') return 'checkbox';
  if (spec.kind === 'select') return 'select';
  if (spec.kind === 'int' || spec.kind === 'float') return 'number';
  return name.endsWith('_network') || name === 'job_notes' ? 'textarea' : 'text';
}

/**
 * Field views of `layout`, filled from `submitted` (a re-shown form) or else `initial` (a clone)
 * or the defaults.
 */
export function formSections(layout: FormLayout, opts: { submitted?: Record<string, string> | null; initial?: Record<string, string>; errors?: FormErrors } = {}): SectionView[] {
  const errors = opts.errors ?? {};
  const view = (name: string): FieldView => {
    const spec = layout.spec[name];
    const help = fieldHelp(name);
    const override = layout.overrides?.[name] ?? {};
    const text = opts.submitted ? (opts.submitted[name] ?? '') : (opts.initial?.[name] ?? (spec ? defaultText(spec) : ''));
    const checked = spec?.kind === 'bool'
      ? opts.submitted ? text !== '' && text !== 'false' : opts.initial?.[name] !== undefined ? opts.initial[name] !== '' && opts.initial[name] !== 'false' : (layout.checkedByDefault ?? []).includes(name)
      : false;
    const choices = override.choices ?? (spec?.kind === 'select' ? spec.choices.map((c) => ({ value: c, label: c })) : []);
    return {
      name,
      label: override.label ?? help.label,
      help: override.help ?? help.help,
      control: override.control ?? controlOf(name, spec),
      value: text,
      checked,
      choices,
      errors: errors[name] ?? [],
      required: spec !== undefined && 'required' in spec && spec.required === true,
      ...(spec?.kind === 'int' ? { step: '1' } : spec?.kind === 'float' ? { step: 'any' } : {}),
      ...(spec && 'min' in spec && spec.min !== undefined ? { min: spec.min } : {}),
      ...(spec && 'max' in spec && spec.max !== undefined ? { max: spec.max } : {}),
    };
  };
  const placed = new Set(layout.sections.flatMap((s) => s.fields));
  const rest = [...Object.keys(layout.spec), ...(layout.uploads ?? [])].filter((name) => !placed.has(name));
  const sections = [...layout.sections, ...(rest.length > 0 ? [{ legend: 'More options', fields: rest }] : [])];
  return sections.map((s) => ({ legend: s.legend, id: s.legend.toLowerCase().replace(/[^a-z0-9]+/g, '-'), fields: s.fields.map(view) }));
}

/** Errors about fields the page does not show (e.g. a cross-field rule), listed above the form. */
export function unplacedErrors(sections: SectionView[], errors: FormErrors): string[] {
  const shown = new Set(sections.flatMap((s) => s.fields.map((f) => f.name)));
  return Object.entries(errors).filter(([name]) => !shown.has(name)).map(([name, messages]) => `${name}: ${messages.join(' ')}`);
}

