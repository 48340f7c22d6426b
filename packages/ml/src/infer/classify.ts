/**
 * Classification forward passes on a deploy model (softmax outputs), fed by the same batch
 * builder the trainer's validation uses — centre crop, mean, whitening — so a training image
 * reaches the network exactly as it did in training.
 */
import type { Augmentation } from '@digits-ts/contracts';
import { tf, tfl } from '../tf.ts';
import { BatchFeed } from '../batches/feed.ts';
import { fillBatch, inputShapeOf, type BatchOptions } from '../batches/fill.ts';
import type { Samples } from '../batches/samples.ts';

/** How a model's inputs are prepared (recorded when it trained). */
export interface InputPreparation {
  crop: number | null;
  mean: Float32Array | null;
  augmentation: Augmentation;
}

/**
 * Images per forward pass: a GPU wants them in bigger batches than a CPU. Callers that feed a
 * request in parts cut it at multiples of this, so the network sees the same batches.
 */
export const inferenceBatchSize = () => (tf.getBackend() === 'webgpu' ? 256 : 64);

/** The batch options for inference: deterministic, like validation. */
export function inferenceBatchOptions(prep: InputPreparation): BatchOptions {
  return { crop: prep.crop, mirror: false, mean: prep.mean, augmentation: prep.augmentation, train: false, random: () => 0.5 };
}

/** One output of the network for one sample: its values without the batch dimension. */
export interface SampleOutput {
  name: string;
  /** Shape without the batch dimension. */
  shape: number[];
  values: Float32Array;
}

/**
 * Every output of `model` for every sample, batch by batch (§10.1 step 4), named by `names`
 * (the deploy outputs' blob names) in `model.outputs` order. The next batch is built and queued
 * while the previous one is read back, so a GPU is not left waiting for JavaScript.
 */
export async function forwardSamples(model: tfl.LayersModel, names: readonly string[], samples: Samples, prep: InputPreparation): Promise<SampleOutput[][]> {
  const batch = inferenceBatchSize();
  const y = new Int32Array(batch);
  const feed = new BatchFeed(samples, inferenceBatchOptions(prep), batch);
  const out: SampleOutput[][] = [];
  const drain = async ({ tensors, n }: { tensors: tf.Tensor[]; n: number }) => {
    try {
      const read = await Promise.all(tensors.map(async (t, k) => ({ name: names[k] ?? model.outputNames[k]!, shape: t.shape.slice(1), data: (await t.data()) as Float32Array })));
      for (let i = 0; i < n; i++) {
        out.push(read.map(({ name, shape, data }) => {
          const per = data.length / n;
          return { name, shape, values: data.slice(i * per, (i + 1) * per) };
        }));
      }
    } finally {
      tf.dispose(tensors);
    }
  };
  let pending: { tensors: tf.Tensor[]; n: number } | null = null;
  try {
    for (let start = 0; start < samples.count; start += batch) {
      const n = Math.min(batch, samples.count - start);
      const indices = Array.from({ length: n }, (_, i) => start + i);
      const result = tf.tidy(() => model.predict(feed.input(samples, indices, y)) as tf.Tensor | tf.Tensor[]);
      const queued = { tensors: Array.isArray(result) ? result : [result], n };
      if (pending) await drain(pending);
      pending = queued;
    }
    if (pending) await drain(pending);
  } finally {
    feed.dispose();
  }
  return out;
}

/** Class probabilities of every sample (the deploy model's single softmax output). */
export async function classifySamples(model: tfl.LayersModel, samples: Samples, prep: InputPreparation): Promise<Float32Array[]> {
  return (await forwardSamples(model, [], samples, prep)).map((outputs) => outputs[0]!.values);
}

/**
 * A sample's output in Caffe's blob layout, as DIGITS answers it (§10.5) and the image-output
 * view reads it (§10.6): an image-shaped H×W×C output (our NHWC) becomes C×H×W; others stay.
 */
export function blobLayout(output: SampleOutput): { values: Float32Array; shape: number[] } {
  if (output.shape.length !== 3) return output;
  const [h, w, c] = output.shape as [number, number, number];
  const values = new Float32Array(output.values.length);
  for (let p = 0; p < h * w; p++) for (let k = 0; k < c; k++) values[k * h * w + p] = output.values[p * c + k]!;
  return { values, shape: [c, h, w] };
}

/** `values` of `shape` as nested arrays, as numpy's `tolist()` gives them (§10.5). */
export function nestedList(values: ArrayLike<number>, shape: readonly number[]): unknown {
  if (shape.length === 0) return values[0];
  const [first, ...rest] = shape;
  const step = rest.reduce((n, d) => n * d, 1);
  return Array.from({ length: first! }, (_, i) => nestedList(Array.prototype.slice.call(values, i * step, (i + 1) * step) as number[], rest));
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
