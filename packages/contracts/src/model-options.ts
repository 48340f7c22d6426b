/**
 * What a training job takes (the `options` of `train-model`, contract §8.1/§8.7) and the name
 * lists it draws from: frameworks, standard networks, solvers, mean modes. The model form that
 * fills it in, one set per sweep combination, is the gateway's: apps/gateway/src/forms/model-form.ts.
 */
import { Type, type Static } from 'typebox';
import { LrPolicy } from './lr-policy.ts';

export const FRAMEWORKS = ['tensorflow', 'caffe', 'torch'] as const;
export const STANDARD_NETWORK_NAMES = ['lenet', 'alexnet', 'googlenet'] as const;

/** Whether `name` is one of {@link STANDARD_NETWORK_NAMES}. */
export const isStandardNetworkName = (name: string): name is (typeof STANDARD_NETWORK_NAMES)[number] => (STANDARD_NETWORK_NAMES as readonly string[]).includes(name);
/** §8.7's solvers that TF.js has an optimizer for (ADAGRADDA and FTRL it has not). */
export const SOLVER_TYPES = ['SGD', 'NESTEROV', 'MOMENTUM', 'ADAGRAD', 'RMSPROP', 'ADADELTA', 'ADAM'] as const;
export const MEAN_MODES = ['none', 'image', 'pixel'] as const;

/** A string-enum schema whose static type is the union of `values`. */
const literals = <const T extends string[]>(values: readonly [...T]) => Type.Enum(values);
export const Augmentation = Type.Object({
  flip: literals(['none', 'fliplr', 'flipud', 'fliplrud']),
  quadRot: literals(['none', 'rot90', 'rot180', 'rotall']),
  /** Largest random rotation (degrees). */
  rot: Type.Number({ minimum: 0, maximum: 180 }),
  /** Largest random zoom change, as a fraction. */
  scale: Type.Number({ minimum: 0, maximum: 1 }),
  /** Gaussian pixel noise, as a fraction of the value range. */
  noise: Type.Number({ minimum: 0, maximum: 1 }),
  contrast: Type.Number({ minimum: 0, maximum: 5 }),
  whitening: Type.Boolean(),
  hsv: Type.Union([Type.Object({ h: Type.Number(), s: Type.Number(), v: Type.Number() }), Type.Null()]),
}, { additionalProperties: false });
export type Augmentation = Static<typeof Augmentation>;

export const NetworkChoice = Type.Union([
  Type.Object({ method: Type.Literal('standard'), name: literals([...STANDARD_NETWORK_NAMES]) }, { additionalProperties: false }),
  /** Fine-tune: start from another model's snapshot (`epoch` −1 or 0 as DIGITS: newest / no weights). */
  Type.Object({ method: Type.Literal('previous'), jobId: Type.String(), epoch: Type.Number() }, { additionalProperties: false }),
  /** Fine-tune from a pretrained-model job's weights (§4.4). */
  Type.Object({ method: Type.Literal('pretrained'), jobId: Type.String() }, { additionalProperties: false }),
  /** A TF.js / Keras layers model topology (JSON text). */
  Type.Object({ method: Type.Literal('custom'), definition: Type.String() }, { additionalProperties: false }),
]);
export type NetworkChoice = Static<typeof NetworkChoice>;

/** What one training job needs, validated again when a worker picks it up. */
export const TrainModelOptions = Type.Object({
  /** Image classification (§8) or generic image model (regression and the like); absent → classification. */
  task: Type.Optional(literals(['classification', 'generic'])),
  /** The framework the client asked for; the engine that really runs is TF.js (reported in the JSON). */
  framework: literals([...FRAMEWORKS]),
  network: NetworkChoice,
  trainEpochs: Type.Integer({ minimum: 1 }),
  snapshotInterval: Type.Number({ minimum: 0 }),
  valInterval: Type.Number({ minimum: 0 }),
  randomSeed: Type.Union([Type.Integer({ minimum: 0 }), Type.Null()]),
  /** Null: the network's own batch size. */
  batchSize: Type.Union([Type.Integer({ minimum: 1 }), Type.Null()]),
  batchAccumulation: Type.Union([Type.Integer({ minimum: 1 }), Type.Null()]),
  solver: literals([...SOLVER_TYPES]),
  rmsDecay: Type.Number({ minimum: 0 }),
  learningRate: Type.Number({ minimum: 0 }),
  lrPolicy: LrPolicy,
  useMean: literals([...MEAN_MODES]),
  cropSize: Type.Union([Type.Integer({ minimum: 1 }), Type.Null()]),
  shuffle: Type.Boolean(),
  augmentation: Augmentation,
  /** GPU indices asked for; empty: any (or CPU where a worker has none). */
  gpus: Type.Object({ list: Type.Array(Type.Integer({ minimum: 0 })), count: Type.Integer({ minimum: 1 }) }, { additionalProperties: false }),
}, { additionalProperties: false });
export type TrainModelOptions = Static<typeof TrainModelOptions>;
