/** Validation pass (Caffe's TEST phase): mean loss and top-1 / top-5 accuracy per head. */
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { Errors } from '@digits-ts/contracts';
import { tf } from '../tf.ts';
import { fillBatch, inputShapeOf } from './batches.ts';
import type { OutputValues, TrainSetup } from './trainer.ts';

/** Runs every val sample through the training graph (dropout off) in val-batch-size chunks. */
export async function evaluate(setup: TrainSetup, signal?: AbortSignal): Promise<OutputValues> {
  const val = setup.val!;
  const { heads } = setup.network;
  const [h, w, c] = inputShapeOf(val, setup.crop);
  const bs = setup.valBatchSize;
  const x = new Float32Array(bs * h * w * c);
  const y = new Int32Array(bs);
  const batch = { crop: setup.crop, mirror: false, mean: setup.mean, augmentation: setup.options.augmentation, train: false, random: setup.random };
  const loss = new Float64Array(heads.length);
  const top1 = new Float64Array(heads.length);
  const top5 = new Float64Array(heads.length);
  for (let start = 0; start < val.count; start += bs) {
    if (signal?.aborted) throw Errors.JOB_ABORTED('training aborted by user');
    const n = Math.min(bs, val.count - start);
    const indices = Array.from({ length: n }, (_, i) => start + i);
    fillBatch(val, indices, batch, x, y);
    const sums = tf.tidy(() => {
      const input = tf.tensor4d(x.subarray(0, n * h * w * c), [n, h, w, c]);
      const labels = tf.tensor1d(y.subarray(0, n), 'int32');
      const out = setup.network.model.predict(input) as tf.Tensor | tf.Tensor[];
      const logits = (Array.isArray(out) ? out : [out]) as tf.Tensor2D[];
      const k = Math.min(5, logits[0]!.shape[1]);
      return tf.stack(logits.map((l) => {
        const onehot = tf.oneHot(labels, l.shape[1]);
        const ce = tf.losses.softmaxCrossEntropy(onehot, l, undefined, undefined, tf.Reduction.SUM);
        const hit1 = tf.sum(tf.cast(tf.equal(tf.argMax(l, 1), labels), 'float32'));
        const hit5 = tf.sum(tf.cast(tf.any(tf.equal(tf.topk(l, k).indices, tf.expandDims(labels, 1)), 1), 'float32'));
        return tf.stack([ce, hit1, hit5]);
      }));
    });
    const values = sums.dataSync();
    sums.dispose();
    heads.forEach((_, i) => {
      loss[i]! += values[i * 3]!;
      top1[i]! += values[i * 3 + 1]!;
      top5[i]! += values[i * 3 + 2]!;
    });
    await yieldToEventLoop();
  }
  const outputs: OutputValues = {};
  heads.forEach((head, i) => {
    const value = loss[i]! / val.count;
    if (!Number.isFinite(value)) throw Errors.TRAINING_DIVERGED(`Network outputted NaN for "${head.loss}" (val). Try decreasing your learning rate.`);
    outputs[head.loss] = { kind: 'SoftmaxWithLoss', value };
    outputs[head.accuracy] = { kind: 'Accuracy', value: top1[i]! / val.count };
    if (head.accuracyTop5) outputs[head.accuracyTop5] = { kind: 'Accuracy', value: top5[i]! / val.count };
  });
  return outputs;
}
