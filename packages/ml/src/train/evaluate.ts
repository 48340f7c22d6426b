/** Validation pass (Caffe's TEST phase): mean loss per head, and top-1 / top-5 accuracy for classifiers. */
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { Errors } from '@digits-ts/contracts';
import { LOSS_LAYER_TYPES } from '../networks/index.ts';
import { tf } from '../tf.ts';
import { BatchFeed } from '../batches/feed.ts';
import { openBatchSource, type BatchSource } from '../batches/source.ts';
import { labelTensors, lossOf, targetBuffer } from './losses.ts';
import type { OutputValues, TrainSetup } from './trainer.ts';

/**
 * Runs every val sample through the training graph (dropout off) in val-batch-size chunks, read
 * from `data` (the trainer keeps one open across validations), else from a source opened here.
 */
export async function evaluate(setup: TrainSetup, signal?: AbortSignal, data?: BatchSource): Promise<OutputValues> {
  const val = setup.val!;
  const { heads } = setup.network;
  const bs = setup.valBatchSize;
  const y = new Int32Array(bs);
  const t = targetBuffer(heads, bs, val.targetSize);
  const own = data ? null : await openBatchSource(val, bs);
  const source = data ?? own!;
  const feed = new BatchFeed(val, { crop: setup.crop, mirror: false, mean: setup.mean, augmentation: setup.options.augmentation, train: false, random: setup.random }, bs);
  // [loss sum, top-1 hits, top-5 hits] per head, summed on the backend and read once at the end
  let totals: tf.Tensor2D = tf.keep(tf.zeros([heads.length, 3]));
  let values: ArrayLike<number>;
  const batchAt = (start: number) => (start < val.count ? Array.from({ length: Math.min(bs, val.count - start) }, (_, i) => start + i) : null);
  try {
    for (let start = 0; start < val.count; start += bs) {
      if (signal?.aborted) throw Errors.JOB_ABORTED('training aborted by user');
      const indices = batchAt(start)!;
      const n = indices.length;
      const positions = await source.batch(indices, (k) => batchAt(start + (k + 1) * bs));
      const next = tf.tidy(() => {
        const input = feed.input(source.samples, positions, y, t ?? undefined);
        const labels = labelTensors(y, t, n, val.targetSize ?? 1);
        const out = setup.network.model.predict(input) as tf.Tensor | tf.Tensor[];
        const outputs = Array.isArray(out) ? out : [out];
        const sums = tf.stack(outputs.map((o, i) => {
          const kind = heads[i]!.kind ?? 'softmax';
          const total = lossOf(kind, o, labels, 'sum');
          if (kind !== 'softmax') return tf.stack([total, tf.scalar(0), tf.scalar(0)]);
          const k = Math.min(5, o.shape[1]!);
          const hit1 = tf.sum(tf.cast(tf.equal(tf.argMax(o, 1), labels.labels), 'float32'));
          const hit5 = tf.sum(tf.cast(tf.any(tf.equal(tf.topk(o as tf.Tensor2D, k).indices, tf.expandDims(labels.labels, 1)), 1), 'float32'));
          return tf.stack([total, hit1, hit5]);
        }));
        return tf.keep(tf.add(totals, sums)) as tf.Tensor2D;
      });
      totals.dispose();
      totals = next;
      await yieldToEventLoop();
    }
    values = await totals.data();
  } finally {
    totals.dispose();
    feed.dispose();
    await own?.close();
  }
  const loss = heads.map((_, i) => values[i * 3]!);
  const top1 = heads.map((_, i) => values[i * 3 + 1]!);
  const top5 = heads.map((_, i) => values[i * 3 + 2]!);
  const outputs: OutputValues = {};
  heads.forEach((head, i) => {
    const value = loss[i]! / val.count;
    if (!Number.isFinite(value)) throw Errors.TRAINING_DIVERGED(`Network outputted NaN for "${head.loss}" (val). Try decreasing your learning rate.`);
    outputs[head.loss] = { kind: LOSS_LAYER_TYPES[head.kind ?? 'softmax'], value };
    if (head.accuracy) outputs[head.accuracy] = { kind: 'Accuracy', value: top1[i]! / val.count };
    if (head.accuracyTop5) outputs[head.accuracyTop5] = { kind: 'Accuracy', value: top5[i]! / val.count };
  });
  return outputs;
}
