/** Validation pass (Caffe's TEST phase): mean loss per head, top-1 / top-5 accuracy for classifiers, pixel accuracy and mean IoU for segmentation heads. */
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { Errors } from '@digits-ts/contracts';
import { LOSS_LAYER_TYPES } from '../networks/index.ts';
import { tf } from '../tf.ts';
import { BatchFeed } from '../batches/feed.ts';
import { openBatchSource, type BatchSource } from '../batches/source.ts';
import { labelTensors, lossOf, pixelLabels, targetBuffer } from './losses.ts';
import { clusterDetections, detectionMetrics, scoreDetections, type DetectionCounts } from '../detection/boxes.ts';
import { LABEL_ROW, truthBoxes } from '../detection/targets.ts';
import type { OutputValues, TrainSetup } from './trainer.ts';

/** C×C counts of (label class, predicted class) over the counted pixels of a batch's score map. */
function pixelConfusion(output: tf.Tensor, targets: tf.Tensor, ignoreLabel: number | undefined): tf.Tensor2D {
  const c = output.shape[output.rank - 1]!;
  const { labels, valid } = pixelLabels(targets, output.size / c, ignoreLabel);
  const predicted = tf.argMax(tf.reshape(output, [-1, c]), 1);
  // a label outside 0..C−1 one-hots to zeros, so it counts in no class
  const truth = tf.mul(tf.oneHot(labels, c), tf.expandDims(valid, 1));
  return tf.matMul(truth, tf.oneHot(predicted, c), true, false) as tf.Tensor2D;
}

/** Pixel accuracy (diagonal over all counted pixels) and mean IoU over the classes present in labels or predictions. */
export function pixelMetrics(confusion: number[][]): { accuracy: number; meanIou: number } {
  let hits = 0;
  let all = 0;
  const ious: number[] = [];
  confusion.forEach((row, k) => {
    const tp = row[k]!;
    const labelled = row.reduce((a, b) => a + b, 0);
    const predicted = confusion.reduce((a, r) => a + r[k]!, 0);
    hits += tp;
    all += labelled;
    const union = labelled + predicted - tp;
    if (union > 0) ious.push(tp / union);
  });
  return { accuracy: all > 0 ? hits / all : 0, meanIou: ious.length > 0 ? ious.reduce((a, b) => a + b, 0) / ious.length : 0 };
}

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
  // per pixel-softmax head: its confusion matrix (rows: label class, columns: predicted class)
  const confusion = new Map<number, tf.Tensor2D>();
  let values: ArrayLike<number>;
  const pixelScores = new Map<number, { accuracy: number; meanIou: number }>();
  const score = setup.network.detection?.score ?? null;
  const cluster = setup.network.detection?.cluster.params;
  const counts: DetectionCounts = { truePositives: 0, falsePositives: 0, missed: 0 };
  const batchAt = (start: number) => (start < val.count ? Array.from({ length: Math.min(bs, val.count - start) }, (_, i) => start + i) : null);
  try {
    for (let start = 0; start < val.count; start += bs) {
      if (signal?.aborted) throw Errors.JOB_ABORTED('training aborted by user');
      const indices = batchAt(start)!;
      const n = indices.length;
      const positions = await source.batch(indices, (k) => batchAt(start + (k + 1) * bs));
      let grids: tf.Tensor[] = [];
      const next = tf.tidy(() => {
        const input = feed.input(source.samples, positions, y, t ?? undefined);
        const labels = labelTensors(y, t, n, val.targetSize ?? 1);
        const out = setup.network.model.predict(input) as tf.Tensor | tf.Tensor[];
        const outputs = Array.isArray(out) ? out : [out];
        const sums = tf.stack(outputs.map((o, i) => {
          const kind = heads[i]!.kind ?? 'softmax';
          const total = lossOf(kind, o, labels, 'sum', heads[i]);
          if (kind === 'pixel-softmax') {
            const before = confusion.get(i);
            const batchConfusion = pixelConfusion(o, labels.targets!, heads[i]!.ignoreLabel);
            confusion.set(i, tf.keep(before ? tf.add(before, batchConfusion) : batchConfusion));
            before?.dispose();
          }
          if (kind !== 'softmax') return tf.stack([total, tf.scalar(0), tf.scalar(0)]);
          const k = Math.min(5, o.shape[1]!);
          const hit1 = tf.sum(tf.cast(tf.equal(tf.argMax(o, 1), labels.labels), 'float32'));
          const hit5 = tf.sum(tf.cast(tf.any(tf.equal(tf.topk(o as tf.Tensor2D, k).indices, tf.expandDims(labels.labels, 1)), 1), 'float32'));
          return tf.stack([total, hit1, hit5]);
        }));
        if (score) grids = [tf.keep(outputs[score.coverageHead]!), tf.keep(outputs[score.boxesHead]!)];
        return tf.keep(tf.add(totals, sums)) as tf.Tensor2D;
      });
      totals.dispose();
      totals = next;
      if (score && t) {
        // ScoreDetections: each image's clustered boxes against its labelled objects
        const [coverage, boxes] = await Promise.all(grids.map((g) => g.data()));
        const [, gh, gw] = grids[0]!.shape as [number, number, number];
        tf.dispose(grids);
        const rows = val.targetSize! / LABEL_ROW;
        for (let k = 0; k < n; k++) {
          const found = clusterDetections(coverage!.subarray(k * gh * gw, (k + 1) * gh * gw), boxes!.subarray(k * gh * gw * 4, (k + 1) * gh * gw * 4), gh, gw, cluster!);
          const c = scoreDetections(truthBoxes(t.subarray(k * rows * LABEL_ROW, (k + 1) * rows * LABEL_ROW)), found, score.iouThreshold);
          counts.truePositives += c.truePositives;
          counts.falsePositives += c.falsePositives;
          counts.missed += c.missed;
        }
      }
      await yieldToEventLoop();
    }
    values = await totals.data();
    for (const [i, matrix] of confusion) pixelScores.set(i, pixelMetrics(await matrix.array()));
  } finally {
    totals.dispose();
    for (const matrix of confusion.values()) matrix.dispose();
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
    const pixel = pixelScores.get(i);
    if (pixel) {
      // a segmentation head's accuracy counts pixels, not images
      if (head.accuracy) outputs[head.accuracy] = { kind: 'Accuracy', value: pixel.accuracy };
      if (head.meanIou) outputs[head.meanIou] = { kind: 'Accuracy', value: pixel.meanIou };
    }
  });
  if (score) {
    const metrics = detectionMetrics(counts);
    for (const key of ['mAP', 'precision', 'recall'] as const) outputs[score.names[key]] = { kind: 'ScoreDetections', value: metrics[key] };
  }
  return outputs;
}
