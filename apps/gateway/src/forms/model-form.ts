/**
 * The image-model form (contract §8.1) and the training options it turns into, one set per
 * sweep combination (§8.2). Pure: dataset and previous-model lookups are the gateway's.
 */
import { detectNetworkFormat, prototxtProblem, readLayersTopology } from '@digits-ts/caffe';
import {
  FRAMEWORKS, LR_POLICIES, MEAN_MODES, SOLVER_TYPES, STANDARD_NETWORK_NAMES, type Augmentation, type LrPolicy, type NetworkChoice, type TrainModelOptions,
} from '@digits-ts/contracts';
import { addFormError, parseForm, REQUIRED, type FormErrors, type FormFields, type FormSpec } from './form.ts';

const FRACTION = { kind: 'float', min: 0, max: 1 } as const;
const HSV = { kind: 'float', min: 0, max: 0.5 } as const;

/** Every field of §8.1 with DIGITS' defaults (the `<job>-snapshot` field is read by name). */
export const MODEL_FORM: FormSpec = {
  model_name: { kind: 'string', required: true },
  group_name: { kind: 'string' },
  dataset: { kind: 'string', required: true },
  framework: { kind: 'string' },
  method: { kind: 'select', choices: ['standard', 'previous', 'pretrained', 'custom'], default: 'standard' },
  standard_networks: { kind: 'string' },
  previous_networks: { kind: 'string' },
  pretrained_networks: { kind: 'string' },
  custom_network: { kind: 'string' },
  custom_network_snapshot: { kind: 'string' },
  python_layer_from_client: { kind: 'bool' },
  python_layer_server_file: { kind: 'string' },
  train_epochs: { kind: 'int', default: 30, min: 1 },
  snapshot_interval: { kind: 'float', default: 1, min: 0 },
  val_interval: { kind: 'float', default: 1, min: 0 },
  traces_interval: { kind: 'int', default: 0, min: 0 },
  random_seed: { kind: 'int', optional: true, min: 0 },
  batch_size: { kind: 'multi-int', optional: true, min: 1 },
  batch_accumulation: { kind: 'int', optional: true, min: 1 },
  solver_type: { kind: 'select', choices: SOLVER_TYPES, default: 'SGD' },
  rms_decay: { kind: 'float', default: 0.99, min: 0 },
  learning_rate: { kind: 'multi-float', default: [0.01], min: 0 },
  lr_policy: { kind: 'select', choices: LR_POLICIES, default: 'step' },
  lr_step_size: { kind: 'float', default: 33 },
  lr_step_gamma: { kind: 'float', default: 0.1 },
  lr_multistep_values: { kind: 'string' },
  lr_multistep_gamma: { kind: 'float', default: 0.5 },
  lr_exp_gamma: { kind: 'float', default: 0.95 },
  lr_inv_gamma: { kind: 'float', default: 0.1 },
  lr_inv_power: { kind: 'float', default: 0.5 },
  lr_poly_power: { kind: 'float', default: 3 },
  lr_sigmoid_step: { kind: 'float', default: 50 },
  lr_sigmoid_gamma: { kind: 'float', default: 0.1 },
  shuffle: { kind: 'bool' },
  select_gpu: { kind: 'string' },
  select_gpus_list: { kind: 'string' },
  select_gpu_count: { kind: 'int', default: 1, optional: true, min: 1 },
  crop_size: { kind: 'int', optional: true, min: 1 },
  use_mean: { kind: 'select', choices: MEAN_MODES, default: 'image' },
  aug_flip: { kind: 'select', choices: ['none', 'fliplr', 'flipud', 'fliplrud'], default: 'none' },
  aug_quad_rot: { kind: 'select', choices: ['none', 'rot90', 'rot180', 'rotall'], default: 'none' },
  aug_rot: { kind: 'int', default: 0, min: 0, max: 180 },
  aug_scale: { ...FRACTION, default: 0 },
  aug_noise: { ...FRACTION, default: 0 },
  aug_contrast: { kind: 'float', default: 0, min: 0, max: 5 },
  aug_whitening: { kind: 'bool' },
  aug_hsv_use: { kind: 'bool' },
  aug_hsv_h: { ...HSV, default: 0.02 },
  aug_hsv_s: { ...HSV, default: 0.04 },
  aug_hsv_v: { ...HSV, default: 0.06 },
};

/** Which model form: `/models/images/classification` or `/models/images/generic`. */
export type ModelTask = 'classification' | 'generic';

/** One job of a (possibly swept) model form. */
export interface ModelJobSpec { name: string; options: TrainModelOptions }

export interface ParsedModelForm {
  group: string;
  datasetId: string;
  jobs: ModelJobSpec[];
  /** The parsed field values, saved with each job for cloning (contract §1.5). */
  saved: Record<string, unknown>;
}

type Values = Record<string, unknown>;

function lrPolicyOf(values: Values, errors: FormErrors): LrPolicy {
  const policy = values.lr_policy as LrPolicy['policy'];
  const num = (field: string) => values[field] as number;
  const stepValues: number[] = [];
  if (policy === 'multistep') {
    const text = String(values.lr_multistep_values).trim();
    const parts = text === '' ? [] : text.split(',').map((s) => s.trim());
    if (parts.length === 0 || parts.some((s) => !/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(s))) addFormError(errors, 'lr_multistep_values', 'invalid value');
    else stepValues.push(...parts.map(Number));
  }
  if ((policy === 'step') && !(num('lr_step_size') > 0)) addFormError(errors, 'lr_step_size', 'Number must be greater than 0.');
  const byPolicy: Record<LrPolicy['policy'], Omit<LrPolicy, 'policy' | 'stepValues'>> = {
    fixed: { stepSize: 0, gamma: 0, power: 0 },
    step: { stepSize: num('lr_step_size'), gamma: num('lr_step_gamma'), power: 0 },
    multistep: { stepSize: 0, gamma: num('lr_multistep_gamma'), power: 0 },
    exp: { stepSize: 0, gamma: num('lr_exp_gamma'), power: 0 },
    inv: { stepSize: 0, gamma: num('lr_inv_gamma'), power: num('lr_inv_power') },
    poly: { stepSize: 0, gamma: 0, power: num('lr_poly_power') },
    sigmoid: { stepSize: num('lr_sigmoid_step'), gamma: num('lr_sigmoid_gamma'), power: 0 },
  };
  return { policy, ...byPolicy[policy], stepValues };
}

/** Why a custom network text cannot be used (format, syntax, layers), or null. */
export function customNetworkProblem(definition: string): string | null {
  const detected = detectNetworkFormat(definition);
  if ('refused' in detected) return detected.refused;
  if (detected.format === 'prototxt') return prototxtProblem(definition);
  const read = readLayersTopology(definition);
  return 'problem' in read ? read.problem : null;
}

/** Reads the `<previous_job_id>-snapshot` epoch (−1 newest, 0 no weights). */
function networkOf(values: Values, fields: FormFields, errors: FormErrors, opts: ModelFormOptions): NetworkChoice | null {
  const requireField = (field: string): string | null => {
    const value = String(values[field]).trim();
    if (value === '') addFormError(errors, field, REQUIRED);
    return value === '' ? null : value;
  };
  switch (values.method) {
    case 'standard': {
      if (opts.task === 'generic') {
        // generic models have no standard networks (§8.1)
        addFormError(errors, 'standard_networks', 'Not a valid choice');
        return null;
      }
      const name = requireField('standard_networks');
      if (name !== null && !(STANDARD_NETWORK_NAMES as readonly string[]).includes(name)) addFormError(errors, 'standard_networks', 'Not a valid choice');
      return name === null ? null : { method: 'standard', name: name as (typeof STANDARD_NETWORK_NAMES)[number] };
    }
    case 'previous': {
      const jobId = requireField('previous_networks');
      if (jobId === null) return null;
      const raw = fields[`${jobId}-snapshot`]?.trim() ?? '';
      const epoch = raw === '' ? Number.NaN : Number(raw);
      if (!Number.isFinite(epoch)) addFormError(errors, 'previous_networks', `${jobId}-snapshot: This field is required.`);
      return { method: 'previous', jobId, epoch };
    }
    case 'custom': {
      const definition = requireField('custom_network');
      const problem = definition === null ? null : customNetworkProblem(definition);
      if (problem !== null) addFormError(errors, 'custom_network', problem.startsWith('Bad network') ? problem : `Bad network: ${problem}`);
      return definition === null ? null : { method: 'custom', definition };
    }
    case 'pretrained': {
      const jobId = requireField('pretrained_networks');
      return jobId === null ? null : { method: 'pretrained', jobId };
    }
    default: // the select already said "Not a valid choice"
      return null;
  }
}

function gpusOf(values: Values, lists: Readonly<Record<string, readonly string[]>>, errors: FormErrors): TrainModelOptions['gpus'] {
  const listText = String(values.select_gpus_list).trim();
  const raw = listText !== '' ? listText.split(',') : [...(lists.select_gpus ?? [])];
  const single = String(values.select_gpu).trim();
  if (raw.length === 0 && single !== '' && single !== 'next') raw.push(single);
  const list = raw.map((s) => s.trim()).filter((s) => s !== '');
  if (list.some((s) => !/^\d+$/.test(s))) addFormError(errors, 'select_gpus', 'Not a valid choice');
  const indices = list.filter((s) => /^\d+$/.test(s)).map(Number);
  return { list: indices, count: indices.length || ((values.select_gpu_count as number | null) ?? 1) };
}

function augmentationOf(values: Values): Augmentation {
  return {
    flip: values.aug_flip as Augmentation['flip'],
    quadRot: values.aug_quad_rot as Augmentation['quadRot'],
    rot: values.aug_rot as number,
    scale: values.aug_scale as number,
    noise: values.aug_noise as number,
    contrast: values.aug_contrast as number,
    whitening: values.aug_whitening === true,
    hsv: values.aug_hsv_use === true ? { h: values.aug_hsv_h as number, s: values.aug_hsv_s as number, v: values.aug_hsv_v as number } : null,
  };
}

/** Refuses what DIGITS would execute (contract §14): Python layers. */
function refuseCode(values: Values, uploads: ReadonlySet<string>, errors: FormErrors): void {
  const message = 'Python layers are code; DIGITS-TS never runs uploaded code';
  if (values.python_layer_from_client === true || uploads.has('python_layer_client_file')) addFormError(errors, 'python_layer_client_file', message);
  if (String(values.python_layer_server_file).trim() !== '') addFormError(errors, 'python_layer_server_file', message);
}

/**
 * Parses and validates a model form. `lists` holds every value of repeated fields
 * (`select_gpus`), `uploads` the file fields that arrived. Returns WTForms-shaped errors or
 * one job spec per batch-size × learning-rate combination (batch size outer, §8.2).
 */
export interface ModelFormOptions {
  task: ModelTask;
}

export function parseModelForm(fields: FormFields, lists: Readonly<Record<string, readonly string[]>>, uploads: ReadonlySet<string>, opts: ModelFormOptions = { task: 'classification' }): { errors: FormErrors } | { form: ParsedModelForm } {
  const { values, errors } = parseForm(MODEL_FORM, fields);
  const framework = String(values.framework).trim();
  if (!(FRAMEWORKS as readonly string[]).includes(framework)) addFormError(errors, 'framework', 'The framework you choose is not currently supported.');
  const network = networkOf(values, fields, errors, opts);
  if (String(values.custom_network_snapshot).trim() !== '') addFormError(errors, 'custom_network_snapshot', 'custom_network_snapshot is not supported; fine-tune with method=previous instead');
  refuseCode(values, uploads, errors);
  const lrPolicy = lrPolicyOf(values, errors);
  const gpus = gpusOf(values, lists, errors);
  if (Object.keys(errors).length > 0 || network === null) return { errors };
  const batchSizes = (values.batch_size as number[] | null) ?? [null];
  const rates = values.learning_rate as number[];
  const name = String(values.model_name).trim();
  const jobs: ModelJobSpec[] = [];
  for (const batchSize of batchSizes) {
    for (const learningRate of rates) {
      const suffix = [rates.length > 1 ? ` learning_rate:${learningRate}` : '', batchSizes.length > 1 ? ` batch_size:${batchSize}` : ''].join('');
      jobs.push({
        name: name + suffix,
        options: {
          task: opts.task,
          framework: framework as TrainModelOptions['framework'], network,
          trainEpochs: values.train_epochs as number, snapshotInterval: values.snapshot_interval as number, valInterval: values.val_interval as number,
          randomSeed: values.random_seed as number | null, batchSize, batchAccumulation: values.batch_accumulation as number | null,
          solver: values.solver_type as TrainModelOptions['solver'], rmsDecay: values.rms_decay as number, learningRate, lrPolicy,
          useMean: values.use_mean as TrainModelOptions['useMean'], cropSize: values.crop_size as number | null,
          shuffle: values.shuffle === true, augmentation: augmentationOf(values), gpus,
        },
      });
    }
  }
  const saved = Object.fromEntries(Object.entries(values).map(([k, v]) => [`form.${k}.data`, v]));
  return { form: { group: String(values.group_name).trim(), datasetId: String(values.dataset).trim(), jobs, saved } };
}
