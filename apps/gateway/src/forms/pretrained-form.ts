/**
 * The new-pretrained-model form (contract §4.4 `POST /pretrained_models/new`) and the info.json
 * of an uploaded archive (§4.4 upload_archive, §11.4), both turned into a pretrained job's
 * options. Pure: the uploads and archive members are the caller's.
 */
import { prototxtProblem } from '@digits-ts/caffe';
import { Errors, FRAMEWORKS, MEAN_MODES, type PretrainedOptions } from '@digits-ts/contracts';
import { addFormError, parseForm, REQUIRED, type FormErrors, type FormFields, type FormSpec } from './form.ts';

const RESIZE_MODES = ['squash', 'crop', 'fill', 'half_crop'] as const;
/** DIGITS' PretrainedModelJob defaults: color, squash, 224×224. */
const DEFAULT_IMAGE: PretrainedOptions['image'] = { height: 224, width: 224, channels: 3, resizeMode: 'squash' };

export const PRETRAINED_FORM: FormSpec = {
  job_name: { kind: 'string', required: true },
  framework: { kind: 'select', choices: ['caffe', 'torch', 'tensorflow'], default: 'caffe' },
  image_type: { kind: 'select', choices: ['3', '1'], default: '3' },
  resize_mode: { kind: 'select', choices: RESIZE_MODES, default: 'squash' },
  width: { kind: 'int', default: 224, min: 1, max: 4096 },
  height: { kind: 'int', default: 224, min: 1, max: 4096 },
};
/** The upload fields: weights and network definition required, labels optional. */
export const PRETRAINED_UPLOADS = ['weights_file', 'model_def_file', 'labels_file'] as const;

export interface ParsedPretrainedForm {
  name: string;
  options: PretrainedOptions;
  saved: Record<string, unknown>;
}

/**
 * Parses the form; `uploads` maps the upload fields that arrived to their text where it matters
 * (the prototxt is checked here, as the model form checks a custom network).
 */
export function parsePretrainedForm(fields: FormFields, uploads: ReadonlyMap<string, Buffer>): { errors: FormErrors } | { form: ParsedPretrainedForm } {
  // DIGITS' own page sends "Squash", its API clients "squash"
  const { values, errors } = parseForm(PRETRAINED_FORM, { ...fields, resize_mode: fields.resize_mode?.toLowerCase() });
  if (values.framework !== 'caffe' && !errors.framework) {
    addFormError(errors, 'framework', `${String(values.framework)} pretrained models (.t7 / .lua, TensorFlow checkpoints) would be code run on the server; DIGITS-TS imports Caffe files, and its own archives through upload_archive`);
  }
  for (const field of ['weights_file', 'model_def_file']) if (!uploads.has(field)) addFormError(errors, field, REQUIRED);
  const prototxt = uploads.get('model_def_file');
  const problem = prototxt ? prototxtProblem(prototxt.toString('utf8')) : null;
  if (problem !== null) addFormError(errors, 'model_def_file', problem.startsWith('Bad network') ? problem : `Bad network: ${problem}`);
  if (Object.keys(errors).length > 0) return { errors };
  const options: PretrainedOptions = {
    source: 'caffe', framework: 'caffe',
    image: { height: values.height as number, width: values.width as number, channels: values.image_type === '1' ? 1 : 3, resizeMode: values.resize_mode as PretrainedOptions['image']['resizeMode'] },
    hasLabels: uploads.has('labels_file'), epoch: 0, useMean: 'none',
  };
  const saved = Object.fromEntries(Object.entries(values).map(([k, v]) => [`form.${k}.data`, v]));
  return { form: { name: String(values.job_name).trim(), options, saved } };
}

/** Which archive members become which job files, and the options: from info.json. */
export interface ArchivePlan {
  name: string;
  options: PretrainedOptions;
  /** Job-folder file name (PRETRAINED_FILES) → archive member path. */
  files: Record<string, string>;
}

const invalid = (message: string) => Errors.ARCHIVE_INVALID(message);

function infoString(info: Record<string, unknown>, key: string): string | undefined {
  const value = info[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string' || value.trim() === '') throw invalid(`info.json "${key}" must be a non-empty string`);
  return value;
}

/** [H, W, C] from info.json `image dimensions`, if it is one. */
function imageOf(info: Record<string, unknown>): PretrainedOptions['image'] {
  const dims = info['image dimensions'];
  const mode = String(info['image resize mode'] ?? 'squash').toLowerCase();
  const resizeMode = (RESIZE_MODES as readonly string[]).includes(mode) ? (mode as PretrainedOptions['image']['resizeMode']) : 'squash';
  if (!Array.isArray(dims)) return { ...DEFAULT_IMAGE, resizeMode };
  const [height, width, channels] = dims as unknown[];
  const ok = (n: unknown) => Number.isInteger(n) && (n as number) >= 1 && (n as number) <= 4096;
  if (dims.length !== 3 || !ok(height) || !ok(width) || (channels !== 1 && channels !== 3)) throw invalid(`info.json "image dimensions" must be [height, width, 1 or 3], not ${JSON.stringify(dims)}`);
  return { height: height as number, width: width as number, channels: channels as 1 | 3, resizeMode };
}

/**
 * Reads an archive's info.json against its member paths. Our own archives hold a TF.js snapshot
 * (`model.json` + `weights.bin`); Caffe ones name their `.caffemodel` (`snapshot file`) and
 * prototxt (`model file` or `network file`). Members are looked up by the names info.json gives.
 */
export function planArchive(infoBytes: Buffer | undefined, members: ReadonlySet<string>, mapping: { modelJson: string; weightsBin: string; prototxt: string; caffemodel: string; labels: string; mean: string }): ArchivePlan {
  if (!infoBytes) throw invalid('the archive has no info.json; upload an archive downloaded from a model (§11.4)');
  let info: Record<string, unknown>;
  try {
    info = JSON.parse(infoBytes.toString('utf8')) as Record<string, unknown>;
  } catch (err) {
    throw invalid(`info.json is not JSON: ${(err as Error).message}`);
  }
  if (!info || typeof info !== 'object' || Array.isArray(info)) throw invalid('info.json must hold an object');
  const framework = infoString(info, 'framework');
  if (!framework) throw invalid('info.json has no "framework"');
  if (!(FRAMEWORKS as readonly string[]).includes(framework)) throw Errors.UNSUPPORTED_OPTION(`info.json names framework "${framework}"; known: ${FRAMEWORKS.join(', ')}`);
  const name = infoString(info, 'name');
  if (!name) throw invalid('info.json has no "name"');
  const snapshot = infoString(info, 'snapshot file');
  if (!snapshot) throw invalid('info.json has no "snapshot file"');
  const modelFile = infoString(info, 'model file') ?? infoString(info, 'network file');
  if (!modelFile) throw invalid('info.json has neither "model file" nor "network file"');
  const labels = infoString(info, 'labels file');
  const has = (member: string | undefined) => member !== undefined && members.has(member);
  if (labels !== undefined && !has(labels)) throw invalid(`info.json names labels file "${labels}", which is not in the archive`);
  const files: Record<string, string> = labels ? { [mapping.labels]: labels } : {};
  const image = imageOf(info);
  const epoch = typeof info['snapshot epoch'] === 'number' && Number.isFinite(info['snapshot epoch']) ? info['snapshot epoch'] : 0;
  const base = { framework, image, hasLabels: labels !== undefined, epoch };
  if (has(snapshot) && snapshot.endsWith('.caffemodel')) {
    if (framework !== 'caffe') throw Errors.UNSUPPORTED_OPTION(`a .caffemodel snapshot with framework "${framework}"; Caffe archives say "caffe"`);
    if (!has(modelFile)) throw invalid(`info.json names model file "${modelFile}", which is not in the archive`);
    return { name, files: { ...files, [mapping.caffemodel]: snapshot, [mapping.prototxt]: modelFile }, options: { source: 'caffe', ...base, useMean: 'none' } };
  }
  if (!has('model.json') || !has('weights.bin')) {
    throw invalid(`the archive has neither the .caffemodel info.json names ("${snapshot}") nor a TF.js snapshot (model.json + weights.bin)`);
  }
  const meanMode = String(info['mean subtraction'] ?? 'none');
  const useMean = (MEAN_MODES as readonly string[]).includes(meanMode) && has('mean.binaryproto') ? (meanMode as PretrainedOptions['useMean']) : 'none';
  if (useMean === 'none' && meanMode !== 'none' && (MEAN_MODES as readonly string[]).includes(meanMode)) throw invalid(`info.json says mean subtraction "${meanMode}" but the archive has no mean.binaryproto`);
  return {
    name,
    files: { ...files, [mapping.modelJson]: 'model.json', [mapping.weightsBin]: 'weights.bin', ...(useMean !== 'none' ? { [mapping.mean]: 'mean.binaryproto' } : {}) },
    options: { source: 'tfjs', ...base, useMean },
  };
}
