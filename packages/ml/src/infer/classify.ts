/**
 * Classification forward passes on a deploy model (softmax outputs), fed by the same batch
 * builder the trainer's validation uses — centre crop, mean, whitening — so a training image
 * reaches the network exactly as it did in training.
 */
import type { Augmentation } from '@digits-ts/contracts';
import { tf, tfl } from '../tf.ts';
import { fillBatch, inputShapeOf, type BatchOptions } from '../train/batches.ts';
import type { Samples } from '../train/samples.ts';

/** How a model's inputs are prepared (recorded when it trained). */
export interface InputPreparation {
  crop: number | null;
  mean: Float32Array | null;
  augmentation: Augmentation;
}

/** Images per forward pass. */
const BATCH = 64;

/** The batch options for inference: deterministic, like validation. */
export function inferenceBatchOptions(prep: InputPreparation): BatchOptions {
  return { crop: prep.crop, mirror: false, mean: prep.mean, augmentation: prep.augmentation, train: false, random: () => 0.5 };
}

/** Class probabilities of every sample, one Float32Array per sample. */
export function classifySamples(model: tfl.LayersModel, samples: Samples, prep: InputPreparation): Float32Array[] {
  const [h, w, c] = inputShapeOf(samples, prep.crop);
  const size = h * w * c;
  const x = new Float32Array(BATCH * size);
  const y = new Int32Array(BATCH);
  const options = inferenceBatchOptions(prep);
  const out: Float32Array[] = [];
  for (let start = 0; start < samples.count; start += BATCH) {
    const n = Math.min(BATCH, samples.count - start);
    fillBatch(samples, Array.from({ length: n }, (_, i) => start + i), options, x, y);
    const probs = tf.tidy(() => model.predict(tf.tensor4d(x.subarray(0, n * size), [n, h, w, c])) as tf.Tensor2D);
    const data = probs.dataSync() as Float32Array;
    const classes = probs.shape[1];
    probs.dispose();
    for (let i = 0; i < n; i++) out.push(data.slice(i * classes, (i + 1) * classes));
  }
  return out;
}

/** Class indices by descending score; ties keep the lower index first. */
export function rankClasses(scores: Float32Array): number[] {
  return Array.from(scores.keys()).sort((a, b) => scores[b]! - scores[a]! || a - b);
}

/** Sample `index` as the network's input tensor (one image), prepared like a classification. */
export function inputTensor(samples: Samples, index: number, prep: InputPreparation): tf.Tensor4D {
  const [h, w, c] = inputShapeOf(samples, prep.crop);
  const x = new Float32Array(h * w * c);
  fillBatch(samples, [index], inferenceBatchOptions(prep), x, new Int32Array(1));
  return tf.tensor4d(x, [1, h, w, c]);
}
