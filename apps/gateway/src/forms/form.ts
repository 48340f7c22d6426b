/**
 * DIGITS' form semantics (WTForms, contract §1.3–1.4) as data: a field spec per form field and
 * one parser. Absent numbers/selects keep their default, absent strings become "", absent
 * booleans are false, and the messages are WTForms' own.
 */

export type FieldSpec =
  | { kind: 'string'; required?: boolean }
  | { kind: 'int' | 'float'; default?: number | null; required?: boolean; optional?: boolean; min?: number; max?: number }
  | { kind: 'bool' }
  | { kind: 'select'; choices: readonly string[]; default: string }
  | { kind: 'multi-float' | 'multi-int'; default?: readonly number[] | null; optional?: boolean; min?: number };

export type FormSpec = Readonly<Record<string, FieldSpec>>;
export type FormFields = Readonly<Record<string, string | undefined>>;
export type FormErrors = Record<string, string[]>;
export type FormValue = string | number | boolean | null | number[];

export const REQUIRED = 'This field is required.';

/** True for WTForms' BooleanField: false only for absent, "" and exactly "false" ("False" is true). */
export function formBool(raw: string | undefined): boolean {
  return raw !== undefined && raw !== '' && raw !== 'false';
}

function rangeProblem(value: number, min?: number, max?: number): string | null {
  if (min !== undefined && max !== undefined && (value < min || value > max)) return `Number must be between ${min} and ${max}.`;
  if (min !== undefined && max === undefined && value < min) return `Number must be at least ${min}.`;
  if (max !== undefined && min === undefined && value > max) return `Number must be at most ${max}.`;
  return null;
}

function parseNumber(kind: 'int' | 'float', text: string): number | null {
  const trimmed = text.trim();
  const pattern = kind === 'int' ? /^[+-]?\d+$/ : /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
  return pattern.test(trimmed) ? Number(trimmed) : null;
}

function parseScalar(spec: Extract<FieldSpec, { kind: 'int' | 'float' }>, raw: string | undefined): [number | null, string | null] {
  if (raw === undefined) return [spec.default ?? null, spec.required && !spec.default ? REQUIRED : null];
  if (raw.trim() === '' && spec.optional) return [null, null];
  const value = parseNumber(spec.kind, raw);
  if (value === null) return [null, spec.required && raw.trim() === '' ? REQUIRED : `Not a valid ${spec.kind === 'int' ? 'integer' : 'float'} value`];
  // DataRequired rejects falsy data, so a required 0 reads as missing
  if (spec.required && value === 0) return [value, REQUIRED];
  return [value, rangeProblem(value, spec.min, spec.max)];
}

function parseMulti(spec: Extract<FieldSpec, { kind: 'multi-float' | 'multi-int' }>, raw: string | undefined): [number[] | null, string | null] {
  if (raw === undefined) return [spec.default ? [...spec.default] : null, null];
  const text = raw.replace(/[[\]]/g, '').trim();
  if (text === '') return [spec.default && !spec.optional ? [...spec.default] : null, null];
  const values: number[] = [];
  for (const part of text.split(',')) {
    const value = parseNumber('float', part);
    if (value === null) return [null, `Not a valid ${spec.kind === 'multi-int' ? 'integer' : 'float'} value`];
    const coerced = spec.kind === 'multi-int' ? Math.trunc(value) : value;
    const problem = rangeProblem(coerced, spec.min);
    if (problem) return [null, problem];
    values.push(coerced);
  }
  return [values, null];
}

function parseField(spec: FieldSpec, raw: string | undefined): [FormValue, string | null] {
  switch (spec.kind) {
    case 'string': {
      const value = raw ?? '';
      return [value, spec.required && value.trim() === '' ? REQUIRED : null];
    }
    case 'bool':
      return [formBool(raw), null];
    case 'select':
      if (raw === undefined) return [spec.default, null];
      return [raw, spec.choices.includes(raw) ? null : 'Not a valid choice'];
    case 'int':
    case 'float':
      return parseScalar(spec, raw);
    default:
      return parseMulti(spec, raw);
  }
}

/** Parses every field of `spec` out of `fields`; `errors` is empty when the form is valid. */
export function parseForm(spec: FormSpec, fields: FormFields): { values: Record<string, FormValue>; errors: FormErrors } {
  const values: Record<string, FormValue> = {};
  const errors: FormErrors = {};
  for (const [name, fieldSpec] of Object.entries(spec)) {
    const [value, problem] = parseField(fieldSpec, fields[name]);
    values[name] = value;
    if (problem) errors[name] = [problem];
  }
  return { values, errors };
}

/** Adds one message to a field's error list. */
export function addFormError(errors: FormErrors, field: string, message: string): void {
  (errors[field] ??= []).push(message);
}

/**
 * WTForms' process errors of `names`: a submitted value that is no number of its field's kind
 * ("Not a valid integer value"), whatever its validators would say. A clone replaces such a
 * value, yet DIGITS still reports it (§1.5).
 */
export function coercionErrors(spec: FormSpec, fields: FormFields, names: Iterable<string>): FormErrors {
  const errors: FormErrors = {};
  for (const name of names) {
    const field = Object.hasOwn(spec, name) ? spec[name]! : null;
    if (!field || (field.kind !== 'int' && field.kind !== 'float' && field.kind !== 'multi-int' && field.kind !== 'multi-float')) continue;
    // the kind alone, without default, bounds or required: only the coercion can fail
    const [, problem] = parseField({ kind: field.kind, optional: field.optional }, fields[name]);
    if (problem) errors[name] = [problem];
  }
  return errors;
}
