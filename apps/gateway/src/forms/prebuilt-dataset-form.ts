/**
 * The prebuilt-LMDB dataset form (contract §7.4) and the options it turns into. Pure: the server
 * paths it names are checked against DATA_ROOTS by the gateway's server-paths module.
 */
import { PREBUILT_DBS, type PrebuiltDatasetOptions } from '@digits-ts/contracts';
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

export interface ParsedPrebuiltDatasetForm {
  name: string;
  group: string;
  options: PrebuiltDatasetOptions;
  serverPaths: ServerPath[];
  saved: Record<string, unknown>;
}

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
