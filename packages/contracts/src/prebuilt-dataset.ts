/**
 * Prebuilt-LMDB ("image-other") datasets, `POST /datasets/images/generic[.json]` (contract §7.4):
 * LMDBs the user already has, named by server paths that must lie inside DATA_ROOTS (§14).
 */
import { Type, type Static } from 'typebox';
import type { ServerPath } from './dataset-form.ts';
import { addFormError, parseForm, REQUIRED, type FormErrors, type FormFields, type FormSpec } from './form.ts';

export const PREBUILT_DATASET_FORM: FormSpec = {
  dataset_name: { kind: 'string', required: true },
  group_name: { kind: 'string' },
  method: { kind: 'select', choices: ['prebuilt'], default: 'prebuilt' },
  prebuilt_train_images: { kind: 'string' },
  prebuilt_train_labels: { kind: 'string' },
  prebuilt_val_images: { kind: 'string' },
  prebuilt_val_labels: { kind: 'string' },
  prebuilt_mean_file: { kind: 'string' },
  force_same_shape: { kind: 'select', choices: ['1', '0'], default: '1' },
};

const Path = Type.Union([Type.String({ minLength: 1 }), Type.Null()]);

export const PrebuiltDatasetOptions = Type.Object({
  method: Type.Literal('prebuilt'),
  trainImages: Type.String({ minLength: 1 }),
  trainLabels: Path,
  valImages: Path,
  valLabels: Path,
  meanFile: Path,
  forceSameShape: Type.Boolean(),
}, { additionalProperties: false });
export type PrebuiltDatasetOptions = Static<typeof PrebuiltDatasetOptions>;

/** One Analyze-DB task (§7.4): a DB's entry count and `<W>x<H>x<C>` shape once read. */
export const AnalyzeDbTask = Type.Object({
  name: Type.String(),
  path: Type.String(),
  entries: Type.Union([Type.Integer({ minimum: 0 }), Type.Null()]),
  shape: Type.Union([Type.String(), Type.Null()]),
});
export type AnalyzeDbTask = Static<typeof AnalyzeDbTask>;

export interface ParsedPrebuiltDatasetForm {
  name: string;
  group: string;
  options: PrebuiltDatasetOptions;
  serverPaths: ServerPath[];
  saved: Record<string, unknown>;
}

/** The DB fields of the form with the task names DIGITS gives their Analyze-DB tasks. */
export const PREBUILT_DBS = [
  { field: 'prebuilt_train_images', key: 'trainImages', task: 'Analyze DB (train_images)' },
  { field: 'prebuilt_train_labels', key: 'trainLabels', task: 'Analyze DB (train_labels)' },
  { field: 'prebuilt_val_images', key: 'valImages', task: 'Analyze DB (val_images)' },
  { field: 'prebuilt_val_labels', key: 'valLabels', task: 'Analyze DB (val_labels)' },
] as const;

export function parsePrebuiltDatasetForm(fields: FormFields): { errors: FormErrors } | { form: ParsedPrebuiltDatasetForm } {
  const { values, errors } = parseForm(PREBUILT_DATASET_FORM, fields);
  const text = (field: string) => String(values[field] ?? '').trim() || null;
  const serverPaths: ServerPath[] = [];
  for (const { field } of PREBUILT_DBS) {
    const path = text(field);
    if (path) serverPaths.push({ field, path, kind: 'dir' });
  }
  if (!text('prebuilt_train_images')) addFormError(errors, 'prebuilt_train_images', REQUIRED);
  if (text('prebuilt_val_labels') && !text('prebuilt_val_images')) addFormError(errors, 'prebuilt_val_images', 'Required when val labels are given');
  if (text('prebuilt_train_labels') === null && text('prebuilt_val_labels') !== null) addFormError(errors, 'prebuilt_train_labels', 'Required when val labels are given');
  const mean = text('prebuilt_mean_file');
  if (mean) serverPaths.push({ field: 'prebuilt_mean_file', path: mean, kind: 'file' });
  if (Object.keys(errors).length > 0) return { errors };
  const options: PrebuiltDatasetOptions = {
    method: 'prebuilt',
    trainImages: text('prebuilt_train_images')!,
    trainLabels: text('prebuilt_train_labels'),
    valImages: text('prebuilt_val_images'),
    valLabels: text('prebuilt_val_labels'),
    meanFile: mean,
    forceSameShape: values.force_same_shape === '1',
  };
  const saved = Object.fromEntries(Object.entries(values).map(([k, v]) => [`form.${k}.data`, v]));
  return { form: { name: String(values.dataset_name).trim(), group: String(values.group_name).trim(), options, serverPaths, saved } };
}
