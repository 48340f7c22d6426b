/** The loss of every head of a network on one batch, by each head's kind (§8, §9.1). */
import type { HeadInfo, LossKind } from '../networks/index.ts';
import { detectionTargets, type DetectionTarget } from '../detection/targets.ts';
import { hasSoftmaxCrossEntropy, softmaxCrossEntropy } from '../ops/softmax-cross-entropy.ts';
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
export function lossOf(kind: LossKind, output: tf.Tensor, y: LabelTensors, reduction: 'mean' | 'sum', target?: DetectionTarget): tf.Scalar {
  const n = output.shape[0]!;
  if (target) return detectionLoss(kind, output as tf.Tensor4D, y.targets!, reduction, target);
  if (kind === 'softmax') {
    if (hasSoftmaxCrossEntropy() && output.rank === 2) return softmaxCrossEntropy(output as tf.Tensor2D, y.labels, { reduction });
    const onehot = tf.oneHot(y.labels, output.shape[1]!);
    return tf.losses.softmaxCrossEntropy(onehot, output, undefined, undefined, reduction === 'mean' ? tf.Reduction.MEAN : tf.Reduction.SUM) as tf.Scalar;
  }
  const flat = tf.reshape(output, [n, -1]);
  const diff = tf.sub(flat, y.targets!);
  // Caffe EuclideanLoss: Σ‖a − b‖² / 2 per sample; Caffe L1Loss: Σ|a − b|; Keras MSE: the mean over the values
  const perSample = kind === 'l1' ? tf.sum(tf.abs(diff), 1) : kind === 'euclidean' ? tf.mul(tf.sum(tf.square(diff), 1), 0.5) : tf.mean(tf.square(diff), 1);
  return (reduction === 'mean' ? tf.mean(perSample) : tf.sum(perSample)) as tf.Scalar;
}

/**
 * A detection head's loss: the prediction grid against the grid DetectNetTransformation makes of
 * the labels. Box predictions count only on covered cells (DetectNet masks them by the coverage
 * label). `l1` is Caffe's L1Loss, Σ|a − b| per sample; `euclidean` Σ(a − b)²/2.
 */
function detectionLoss(kind: LossKind, output: tf.Tensor4D, labels: tf.Tensor2D, reduction: 'mean' | 'sum', target: DetectionTarget): tf.Scalar {
  const [n, gh, gw] = output.shape;
  const { coverage, boxes } = detectionTargets(labels, gh, gw, target);
  const diff = target.part === 'coverage' ? tf.sub(output, coverage) : tf.sub(tf.mul(output, coverage), boxes);
  const flat = tf.reshape(diff, [n, -1]);
  const perSample = kind === 'l1' ? tf.sum(tf.abs(flat), 1) : kind === 'euclidean' ? tf.mul(tf.sum(tf.square(flat), 1), 0.5) : tf.mean(tf.square(flat), 1);
  return (reduction === 'mean' ? tf.mean(perSample) : tf.sum(perSample)) as tf.Scalar;
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
  return list.map((out, i) => lossOf(heads[i]!.kind ?? 'softmax', out, y, 'mean', heads[i]!.target));
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
