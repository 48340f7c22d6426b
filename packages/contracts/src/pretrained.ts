/**
 * Pretrained-model jobs (contract §4.4, §3.3): a model brought in from outside — a Caffe
 * deploy.prototxt + .caffemodel, or an archive (§11.4) — converted by a worker into our own
 * snapshot format, then used for inference and as `method=pretrained` on the model forms.
 */
import { Type, type Static } from 'typebox';
import { MEAN_MODES } from './model-options.ts';

/** The files the gateway stored in the job folder, under these names. */
export const PRETRAINED_FILES = {
  /** A Caffe deploy (or train_val) prototxt. */
  prototxt: 'original.prototxt',
  caffemodel: 'weights.caffemodel',
  labels: 'labels.txt',
  /** Our own archive's snapshot (TF.js layers format) and its dataset's mean. */
  modelJson: 'archive-model.json',
  weightsBin: 'archive-weights.bin',
  mean: 'mean.binaryproto',
} as const;

/** The folder of a pretrained job's one snapshot. */
export const PRETRAINED_SNAPSHOT_DIR = 'snapshot_pretrained';

export const PretrainedOptions = Type.Object({
  /** `caffe`: prototxt + caffemodel; `tfjs`: our own download archive (snapshot in TF.js layers format). */
  source: Type.Union([Type.Literal('caffe'), Type.Literal('tfjs')]),
  /** The framework the model says it is (info.json `framework`, or the form's). */
  framework: Type.String(),
  /** Images are prepared to this before the network sees them (§10.1). */
  image: Type.Object({
    height: Type.Integer({ minimum: 1 }),
    width: Type.Integer({ minimum: 1 }),
    channels: Type.Union([Type.Literal(1), Type.Literal(3)]),
    resizeMode: Type.Union([Type.Literal('crop'), Type.Literal('squash'), Type.Literal('fill'), Type.Literal('half_crop')]),
  }, { additionalProperties: false }),
  hasLabels: Type.Boolean(),
  /** The epoch the snapshot is listed under: the archive's `snapshot epoch`, 0 for Caffe files. */
  epoch: Type.Number(),
  /** Mean subtraction with the stored mean.binaryproto (archives of models trained with one). */
  useMean: Type.Enum([...MEAN_MODES]),
}, { additionalProperties: false });
export type PretrainedOptions = Static<typeof PretrainedOptions>;

export const ImportPretrainedPayload = Type.Object({ v: Type.Literal(1), jobId: Type.String(), options: PretrainedOptions }, { additionalProperties: false });
export type ImportPretrainedPayload = Static<typeof ImportPretrainedPayload>;

/**
 * What an import leaves in `params.network` of the pretrained record: the network to build when
 * a model fine-tunes from it (the prototxt made trainable, or the archive's layers JSON).
 */
export const PretrainedParams = Type.Object({
  options: PretrainedOptions,
  network: Type.Union([Type.Null(), Type.Object({ method: Type.Literal('custom'), definition: Type.String() }, { additionalProperties: false })]),
});
export type PretrainedParams = Static<typeof PretrainedParams>;
