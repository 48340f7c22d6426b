/**
 * The inference routes' forms (contract §10) as FormSpecs, as the create routes have theirs: one
 * spec per route names its fields, kinds and defaults, documents them (OpenAPI) and parses them.
 * The refusals keep what these routes have always answered (DIGITS' messages in the error
 * envelope: `job_id is a required field`, …), not WTForms' per-field lists; a data extension's
 * own inference fields (infer_extension) are parsed with its spec once the model is known.
 */
import { Errors, type AppError } from '@digits-ts/contracts';
import { parseForm, type FormFields, type FormSpec } from './form.ts';

/** Every inference route: the model (`job_id`, an arg) and its snapshot (`snapshot_epoch`, float; blank = newest). */
const MODEL_FIELDS = { job_id: { kind: 'string', required: true }, snapshot_epoch: { kind: 'float', optional: true } } satisfies FormSpec;
/** One image: a server path, or the `image_file` upload. */
const ONE_IMAGE = { image_path: { kind: 'string' }, show_visualizations: { kind: 'bool' } } satisfies FormSpec;
/** A list of images: the `image_list` upload, its relative paths under `image_folder`, cut at `num_test_images` lines. */
const IMAGE_LIST = { image_folder: { kind: 'string' }, num_test_images: { kind: 'int', optional: true } } satisfies FormSpec;
/** Generic models resize their inputs to the dataset's size unless this is set. */
const DONT_RESIZE = { dont_resize: { kind: 'bool' } } satisfies FormSpec;

export const CLASSIFY_ONE_FORM = { ...MODEL_FIELDS, ...ONE_IMAGE } satisfies FormSpec;
export const CLASSIFY_MANY_FORM = { ...MODEL_FIELDS, ...IMAGE_LIST } satisfies FormSpec;
export const TOP_N_FORM = { ...MODEL_FIELDS, ...IMAGE_LIST, top_n: { kind: 'int', default: 9, optional: true, min: 1 } } satisfies FormSpec;
export const INFER_ONE_FORM = { ...MODEL_FIELDS, ...ONE_IMAGE, ...DONT_RESIZE } satisfies FormSpec;
export const INFER_MANY_FORM = { ...MODEL_FIELDS, ...IMAGE_LIST, ...DONT_RESIZE } satisfies FormSpec;
export const INFER_DB_FORM = { ...MODEL_FIELDS, db_path: { kind: 'string', required: true }, ...DONT_RESIZE } satisfies FormSpec;
export const INFER_EXTENSION_FORM = { ...MODEL_FIELDS, show_visualizations: { kind: 'bool' } } satisfies FormSpec;

/** The uploads each kind of route takes beside its fields. */
export const ONE_IMAGE_UPLOADS = ['image_file'];
export const IMAGE_LIST_UPLOADS = ['image_list'];

/** An inference form's values; a field the route's spec lacks reads as its blank value. */
export interface InferenceArgs {
  jobId: string;
  /** The snapshot asked for; −1 is the newest. */
  epoch: number;
  imagePath: string;
  imageFolder: string | null;
  /** List lines to read (`num_test_images`); every line when blank. */
  limit: number;
  topN: number;
  visualize: boolean;
  /** False when `dont_resize` is set. */
  resize: boolean;
  dbPath: string;
}

/** A field's refusal, as the inference routes answer it; `job_id` is checked first. */
const REFUSALS: Record<string, () => AppError> = {
  job_id: () => Errors.BAD_REQUEST('job_id is a required field'),
  snapshot_epoch: () => Errors.VALIDATION_FAILED('snapshot_epoch must be a number'),
  num_test_images: () => Errors.VALIDATION_FAILED('num_test_images must be an integer'),
  top_n: () => Errors.VALIDATION_FAILED('top_n must be a positive integer'),
  db_path: () => Errors.BAD_REQUEST('db_path is a required field'),
};

/**
 * Parses `fields` (each an arg: query first, then form) by `spec`. Flags are on when non-empty,
 * as DIGITS reads them from request.form (contract §10.2: `false` is on), not as a WTForms
 * BooleanField. A blank `job_id` is missing, as DIGITS' `if not job_id` had it; one of spaces
 * names no job (404 further on).
 */
export function parseInferenceForm(spec: FormSpec, fields: FormFields): InferenceArgs {
  const { values, errors } = parseForm(spec, fields);
  if ('job_id' in errors && (fields.job_id ?? '') !== '') delete errors.job_id;
  const refused = Object.keys(REFUSALS).find((name) => name in errors);
  if (refused) throw REFUSALS[refused]!();
  const epoch = values.snapshot_epoch as number | null | undefined;
  if (epoch !== null && epoch !== undefined && !Number.isFinite(epoch)) throw REFUSALS.snapshot_epoch!();
  const text = (name: string) => ((values[name] as string | undefined) ?? '').trim();
  const flag = (name: string) => (fields[name] ?? '') !== '';
  return {
    jobId: (values.job_id as string | undefined) ?? '',
    epoch: epoch ?? -1,
    imagePath: text('image_path'),
    imageFolder: text('image_folder') || null,
    limit: (values.num_test_images as number | null | undefined) ?? Number.POSITIVE_INFINITY,
    topN: (values.top_n as number | null | undefined) ?? 9,
    visualize: flag('show_visualizations'),
    resize: !flag('dont_resize'),
    dbPath: text('db_path'),
  };
}
