/** The loss of every head of a network on one batch, by each head's kind (§8, §9.1). */
import type { HeadInfo, LossKind } from '../networks/index.ts';
import { detectionTargets, type DetectionTarget } from '../detection/targets.ts';
import { hasSoftmaxCrossEntropy, softmaxCrossEntropy } from '../ops/softmax-cross-entropy.ts';
import { Errors } from '@digits-ts/contracts';
import { tf, tfl } from '../tf.ts';
import type { RandomSource } from '@digits-ts/dataset';

/** One batch's labels as tensors: class indices, and label vectors when a head regresses. */
export interface LabelTensors {
  labels: tf.Tensor1D;
  /** batch × target size; null when every head classifies. */
  targets: tf.Tensor2D | null;
}

/** Whether any head needs the float label vectors. */
export const needsTargets = (heads: readonly HeadInfo[]): boolean => heads.some((h) => (h.kind ?? 'softmax') !== 'softmax');

/**
 * One head's loss over a batch, averaged over the batch (`mean`) or summed (`sum`, for
 * validation totals). Regression outputs of any shape are compared as flat vectors.
 */
export function lossOf(kind: LossKind, output: tf.Tensor, y: LabelTensors, reduction: 'mean' | 'sum', head?: Pick<HeadInfo, 'ignoreLabel' | 'normalization' | 'target'>): tf.Scalar {
  const n = output.shape[0]!;
  if (head?.target) return detectionLoss(kind, output as tf.Tensor4D, y.targets!, reduction, head.target);
  if (kind === 'pixel-softmax') return pixelSoftmaxLoss(output as tf.Tensor4D, y.targets!, reduction, head ?? {});
  if (kind === 'softmax') {
    if (hasSoftmaxCrossEntropy() && output.rank === 2) return softmaxCrossEntropy(output as tf.Tensor2D, y.labels, { reduction });
    const onehot = tf.oneHot(y.labels, output.shape[1]!);
    return tf.losses.softmaxCrossEntropy(onehot, output, undefined, undefined, reduction === 'mean' ? tf.Reduction.MEAN : tf.Reduction.SUM) as tf.Scalar;
  }
  return reduceRegression(kind, tf.sub(tf.reshape(output, [n, -1]), y.targets!), reduction);
}

/**
 * A regression loss from the per-sample differences (N × values): Caffe EuclideanLoss Σ‖a − b‖² / 2
 * per sample, Caffe L1Loss Σ|a − b|, Keras MSE the mean over the values; then the batch mean or sum.
 */
function reduceRegression(kind: LossKind, diff: tf.Tensor2D, reduction: 'mean' | 'sum'): tf.Scalar {
  const perSample = kind === 'l1' ? tf.sum(tf.abs(diff), 1) : kind === 'euclidean' ? tf.mul(tf.sum(tf.square(diff), 1), 0.5) : tf.mean(tf.square(diff), 1);
  return (reduction === 'mean' ? tf.mean(perSample) : tf.sum(perSample)) as tf.Scalar;
}

/**
 * The grids of one batch's labels, made once for all its detection heads: the coverage head and
 * the box head read the same grids, and each label tensor belongs to one batch (a new batch is a
 * new tensor, so an entry is never read again once its grids are disposed with the step's scope).
 */
const gridCache = new WeakMap<tf.Tensor2D, Map<string, ReturnType<typeof detectionTargets>>>();
function batchGrids(labels: tf.Tensor2D, gh: number, gw: number, target: DetectionTarget): ReturnType<typeof detectionTargets> {
  const key = `${gh}x${gw}/${target.stride}/${target.scaleCvg}`;
  const cached = gridCache.get(labels) ?? new Map<string, ReturnType<typeof detectionTargets>>();
  gridCache.set(labels, cached);
  let grids = cached.get(key);
  if (!grids || grids.coverage.isDisposed) {
    grids = detectionTargets(labels, gh, gw, target);
    cached.set(key, grids);
  }
  return grids;
}

/**
 * A detection head's loss: the prediction grid against the grid DetectNetTransformation makes of
 * the labels. Box predictions count only on covered cells (DetectNet masks them by the coverage
 * label), reduced as any regression head.
 */
function detectionLoss(kind: LossKind, output: tf.Tensor4D, labels: tf.Tensor2D, reduction: 'mean' | 'sum', target: DetectionTarget): tf.Scalar {
  const [n, gh, gw] = output.shape;
  const { coverage, boxes } = batchGrids(labels, gh, gw, target);
  const diff = target.part === 'coverage' ? tf.sub(output, coverage) : tf.sub(tf.mul(output, coverage), boxes);
  return reduceRegression(kind, tf.reshape(diff, [n, -1]), reduction);
}

/** Per-pixel class indices of a batch's label maps (N × H·W floats) and which pixels count (not `ignoreLabel`). */
export function pixelLabels(targets: tf.Tensor, pixels: number, ignoreLabel: number | undefined): { labels: tf.Tensor1D; valid: tf.Tensor1D } {
  const flat = tf.reshape(targets, [-1]);
  if (flat.size !== pixels) {
    throw Errors.MODEL_SHAPE_MISMATCH(`the network's score map has ${pixels} pixels per batch but the label maps have ${flat.size}; crop the output to the label size (a Crop layer)`);
  }
  const labels = tf.cast(flat, 'int32') as tf.Tensor1D;
  const valid = (ignoreLabel === undefined ? tf.onesLike(flat) : tf.cast(tf.notEqual(labels, ignoreLabel), 'float32')) as tf.Tensor1D;
  return { labels, valid };
}

/**
 * Caffe's SoftmaxWithLoss over the channel axis of an N×H×W×C score map: −log softmax of the
 * label's channel at each pixel, `ignore_label` pixels left out, the sum divided as
 * `normalization` says (VALID: by the counted pixels, BATCH_SIZE: by N, FULL: by N·H·W, NONE: 1).
 * `sum` gives that batch mean times N, so a sum over batches divided by the sample count is the mean.
 */
function pixelSoftmaxLoss(output: tf.Tensor4D, targets: tf.Tensor2D, reduction: 'mean' | 'sum', head: Pick<HeadInfo, 'ignoreLabel' | 'normalization'>): tf.Scalar {
  const [n, h, w, c] = output.shape;
  const { labels, valid } = pixelLabels(targets, n * h * w, head.ignoreLabel);
  // an ignored pixel may hold any label value (255); it picks class 0 and is then masked out
  const safe = tf.mul(labels, tf.cast(valid, 'int32'));
  const logp = tf.logSoftmax(tf.reshape(output, [-1, c]));
  const picked = tf.sum(tf.mul(tf.oneHot(safe, c), logp), 1);
  const total = tf.neg(tf.sum(tf.mul(picked, valid)));
  const normalization = head.normalization ?? 'VALID';
  const divisor = normalization === 'VALID' ? tf.maximum(tf.sum(valid), 1)
    : tf.scalar(normalization === 'BATCH_SIZE' ? n : normalization === 'FULL' ? n * h * w : 1);
  const mean = tf.div(total, divisor);
  return (reduction === 'mean' ? mean : tf.mul(mean, n)) as tf.Scalar;
}

/** A Dropout layer's seed, which TF.js reads on every call (unseeded, it draws from Math.random). */
type SeededLayer = { seed?: number };

/**
 * Training loss of each head (dropout on), in `model.outputs` order. Dropout masks come from
 * `random`, a fresh seed per layer and step: the run's random_seed then fixes every mask, so a
 * seeded run repeats its losses (TF.js alone seeds dropout from Math.random).
 */
export function headLosses(model: tfl.LayersModel, heads: readonly HeadInfo[], input: tf.Tensor, y: LabelTensors, random: RandomSource): tf.Scalar[] {
  const dropouts = model.layers.filter((l) => l.getClassName() === 'Dropout') as unknown as SeededLayer[];
  for (const d of dropouts) d.seed = Math.floor(random() * 2 ** 31);
  let outputs: tf.Tensor | tf.Tensor[];
  try {
    outputs = model.apply(input, { training: true }) as tf.Tensor | tf.Tensor[];
  } finally {
    // the saved topology keeps no seed of ours
    for (const d of dropouts) d.seed = undefined;
  }
  const list = Array.isArray(outputs) ? outputs : [outputs];
  return list.map((out, i) => lossOf(heads[i]!.kind ?? 'softmax', out, y, 'mean', heads[i]));
}

/** The first `n` entries of a batch's label buffers as tensors (call inside a tidy). */
export function labelTensors(labels: Int32Array, targets: Float32Array | null, n: number, targetSize: number): LabelTensors {
  return {
    labels: tf.tensor1d(labels.subarray(0, n), 'int32'),
    targets: targets ? tf.tensor2d(targets.subarray(0, n * targetSize), [n, targetSize]) : null,
  };
}

/** A batch's target buffer when the heads need one. */
export function targetBuffer(heads: readonly HeadInfo[], batchSize: number, targetSize: number | undefined): Float32Array | null {
  return needsTargets(heads) ? new Float32Array(batchSize * (targetSize ?? 1)) : null;
}
