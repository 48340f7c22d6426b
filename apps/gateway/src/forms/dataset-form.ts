/**
 * The image-classification dataset form (contract §6.1) and the build options it turns into.
 * Pure: path existence and confinement are checked by the gateway's server-paths module.
 */
import { ENCODINGS, RESIZE_MODES, type DatasetBuildOptions } from '@digits-ts/contracts';
import { addFormError, parseForm, REQUIRED, type FormErrors, type FormFields, type FormSpec } from './form.ts';

const PCT = { min: 0, max: 100 };
const PER_CLASS = { kind: 'int', optional: true, min: 1 } as const;

/** Every field of §6.1 with DIGITS' defaults. File fields are listed in DATASET_UPLOAD_FIELDS. */
export const DATASET_FORM: FormSpec = {
  dataset_name: { kind: 'string', required: true },
  group_name: { kind: 'string' },
  resize_channels: { kind: 'select', choices: ['1', '3'], default: '3' },
  resize_width: { kind: 'int', default: 256, required: true },
  resize_height: { kind: 'int', default: 256, required: true },
  resize_mode: { kind: 'select', choices: RESIZE_MODES, default: 'squash' },
  encoding: { kind: 'select', choices: ENCODINGS, default: 'png' },
  backend: { kind: 'select', choices: ['lmdb', 'hdf5'], default: 'lmdb' },
  compression: { kind: 'select', choices: ['none', 'gzip'], default: 'none' },
  method: { kind: 'select', choices: ['folder', 'textfile', 's3'], default: 'folder' },
  folder_train: { kind: 'string' },
  folder_pct_val: { kind: 'int', default: 25, ...PCT },
  folder_pct_test: { kind: 'int', default: 0, ...PCT },
  folder_train_min_per_class: { ...PER_CLASS, default: 2 },
  folder_train_max_per_class: PER_CLASS,
  has_val_folder: { kind: 'bool' },
  folder_val: { kind: 'string' },
  folder_val_min_per_class: { ...PER_CLASS, default: 2 },
  folder_val_max_per_class: PER_CLASS,
  has_test_folder: { kind: 'bool' },
  folder_test: { kind: 'string' },
  folder_test_min_per_class: { ...PER_CLASS, default: 2 },
  folder_test_max_per_class: PER_CLASS,
  textfile_use_local_files: { kind: 'bool' },
  textfile_local_train_images: { kind: 'string' },
  textfile_train_folder: { kind: 'string' },
  textfile_use_val: { kind: 'bool' },
  textfile_local_val_images: { kind: 'string' },
  textfile_val_folder: { kind: 'string' },
  textfile_use_test: { kind: 'bool' },
  textfile_local_test_images: { kind: 'string' },
  textfile_test_folder: { kind: 'string' },
  textfile_shuffle: { kind: 'select', choices: ['1', '0'], default: '1' },
  textfile_local_labels_file: { kind: 'string' },
};

/** Upload fields of the dataset form, and the name each is stored under in the job folder. */
export const DATASET_UPLOAD_FIELDS = {
  textfile_train_images: 'train.txt',
  textfile_val_images: 'val.txt',
  textfile_test_images: 'test.txt',
  textfile_labels_file: 'labels.txt',
} as const;


/** Server paths named by a dataset form, with the field each came from, for the gateway to check. */
export interface ServerPath {
  field: string;
  path: string;
  kind: 'dir' | 'file';
  /** The form's message when the path does not exist (default `Folder/File does not exist`). */
  missing?: string;
}

export interface ParsedDatasetForm {
  name: string;
  group: string;
  options: DatasetBuildOptions;
  serverPaths: ServerPath[];
  /** The parsed field values, saved with the job for cloning (contract §1.5). */
  saved: Record<string, unknown>;
}

type Values = Record<string, unknown>;

function splitOf(values: Values, prefix: string, folderField: string, errors: FormErrors): { folder: string; minPerClass: number; maxPerClass: number | null } {
  const min = (values[`${prefix}_min_per_class`] as number | null) ?? 1;
  const max = values[`${prefix}_max_per_class`] as number | null;
  if (max !== null && max < min) addFormError(errors, `${prefix}_max_per_class`, `Field must be greater than ${prefix}_min_per_class.`);
  return { folder: String(values[folderField]).trim(), minPerClass: Math.max(1, min), maxPerClass: max };
}

function folderOptions(values: Values, errors: FormErrors, paths: ServerPath[]): NonNullable<DatasetBuildOptions['folder']> {
  const required = (field: string) => {
    const path = String(values[field]).trim();
    if (path === '') addFormError(errors, field, REQUIRED);
    else paths.push({ field, path, kind: 'dir' });
  };
  required('folder_train');
  const hasVal = values.has_val_folder === true;
  const hasTest = values.has_test_folder === true;
  // DIGITS answers this with a 500 at creation; it is the client's mistake, so it is a 400 here
  if (!hasVal && !hasTest && !errors.folder_pct_val && !errors.folder_pct_test && (values.folder_pct_val as number) + (values.folder_pct_test as number) > 100) {
    addFormError(errors, 'folder_pct_val', 'the sum of percent_val and percent_test must not exceed 100');
  }
  if (hasVal) required('folder_val');
  if (hasTest) required('folder_test');
  return {
    train: splitOf(values, 'folder_train', 'folder_train', errors),
    // a separate val folder means the train folder gives nothing to val (contract §6.1)
    pctVal: hasVal ? 0 : (values.folder_pct_val as number),
    pctTest: hasTest ? 0 : (values.folder_pct_test as number),
    val: hasVal ? splitOf(values, 'folder_val', 'folder_val', errors) : null,
    test: hasTest ? splitOf(values, 'folder_test', 'folder_test', errors) : null,
  };
}

function listSource(values: Values, uploads: ReadonlySet<string>, stage: 'train' | 'val' | 'test', errors: FormErrors, paths: ServerPath[]) {
  const folder = String(values[`textfile_${stage}_folder`]).trim();
  if (folder !== '') paths.push({ field: `textfile_${stage}_folder`, path: folder, kind: 'dir' });
  const folderOrNull = folder === '' ? null : folder;
  if (values.textfile_use_local_files === true) {
    const field = `textfile_local_${stage}_images`;
    const path = String(values[field]).trim();
    if (path === '') addFormError(errors, field, REQUIRED);
    else paths.push({ field, path, kind: 'file' });
    return { source: 'server' as const, path, folder: folderOrNull };
  }
  const field = `textfile_${stage}_images` as keyof typeof DATASET_UPLOAD_FIELDS;
  if (!uploads.has(field)) addFormError(errors, field, REQUIRED);
  return { source: 'upload' as const, path: DATASET_UPLOAD_FIELDS[field], folder: folderOrNull };
}

function textfileOptions(values: Values, uploads: ReadonlySet<string>, errors: FormErrors, paths: ServerPath[]): NonNullable<DatasetBuildOptions['textfile']> {
  const local = values.textfile_use_local_files === true;
  let labels: { source: 'upload' | 'server'; path: string };
  const labelsPath = String(values.textfile_local_labels_file).trim();
  if (local && labelsPath !== '') {
    labels = { source: 'server', path: labelsPath };
    paths.push({ field: 'textfile_local_labels_file', path: labelsPath, kind: 'file' });
  } else {
    if (!uploads.has('textfile_labels_file')) addFormError(errors, local ? 'textfile_local_labels_file' : 'textfile_labels_file', REQUIRED);
    labels = { source: 'upload', path: 'labels.txt' };
  }
  return {
    train: listSource(values, uploads, 'train', errors, paths),
    val: values.textfile_use_val === true ? listSource(values, uploads, 'val', errors, paths) : null,
    test: values.textfile_use_test === true ? listSource(values, uploads, 'test', errors, paths) : null,
    labels,
    shuffle: values.textfile_shuffle === '1',
  };
}

/**
 * Parses and validates a dataset form. `uploads` names the file fields that arrived non-empty.
 * Returns the errors keyed by field (WTForms' shape) or the parsed form.
 */
export function parseDatasetForm(fields: FormFields, uploads: ReadonlySet<string>): { errors: FormErrors } | { form: ParsedDatasetForm } {
  const { values, errors } = parseForm(DATASET_FORM, fields);
  // folder fields only count for method folder (DIGITS' validate_required_iff drops the rest)
  if (values.method !== 'folder') for (const field of Object.keys(errors)) if (field.startsWith('folder_')) delete errors[field];
  if (values.backend === 'hdf5') addFormError(errors, 'backend', 'hdf5 is not supported by DIGITS-TS; use lmdb');
  if (values.method === 's3') addFormError(errors, 'method', 's3 is not supported by DIGITS-TS; use folder or textfile');
  const serverPaths: ServerPath[] = [];
  const method = values.method === 'textfile' ? 'textfile' : 'folder';
  const options: DatasetBuildOptions = {
    channels: values.resize_channels === '1' ? 1 : 3,
    width: values.resize_width as number,
    height: values.resize_height as number,
    resizeMode: values.resize_mode as DatasetBuildOptions['resizeMode'],
    encoding: values.encoding as DatasetBuildOptions['encoding'],
    backend: 'lmdb',
    compression: 'none', // forced for lmdb (contract §6.1)
    method,
  };
  if (method === 'folder') options.folder = folderOptions(values, errors, serverPaths);
  else options.textfile = textfileOptions(values, uploads, errors, serverPaths);
  if (Object.keys(errors).length > 0) return { errors };
  const saved = Object.fromEntries(Object.entries(values).map(([k, v]) => [`form.${k}.data`, v]));
  return { form: { name: String(values.dataset_name).trim(), group: String(values.group_name).trim(), options, serverPaths, saved } };
}
