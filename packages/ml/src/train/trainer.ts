/**
 * The training loop: per-iteration learning rate, gradient accumulation (batch_accumulation),
 * weight decay, periodic validation, DIGITS' train/val outputs and snapshots. The caller owns
 * the network and disposes it; everything the loop creates it disposes itself.
 */
import path from 'node:path';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { Errors, learningRateAt, type TrainModelOptions } from '@digits-ts/contracts';
import type { RandomSource } from '@digits-ts/dataset';
import type { BuiltNetwork } from '../networks/index.ts';
import { tf } from '../tf.ts';
import { fillBatch, inputShapeOf, type BatchOptions } from './batches.ts';
import { EpochOrder } from './epoch-order.ts';
import { createOptimizer, disposeOptimizer, setLearningRate } from './optimizers.ts';
import type { Samples } from './samples.ts';
import { epochOf, scheduleOf, type Schedule } from './schedule.ts';
import { saveModel } from './snapshot.ts';
import { evaluate } from './evaluate.ts';

export interface TrainSetup {
  network: BuiltNetwork;
  train: Samples;
  val: Samples | null;
  options: TrainModelOptions;
  batchSize: number;
  valBatchSize: number;
  crop: number | null;
  mirror: boolean;
  mean: Float32Array | null;
  /** Snapshots go to `<jobDir>/snapshot_<epoch>/`. */
  jobDir: string;
  /** Stored in each snapshot's model.json (labels, preprocessing). */
  metadata: Record<string, unknown>;
  random: RandomSource;
}

/** One reported value with the layer kind that produced it (§9.1). */
export type OutputValues = Record<string, { kind: string; value: number }>;

export interface TrainHooks {
  signal?: AbortSignal;
  /** After every iteration; the caller throttles. */
  onIteration?(iteration: number, maxIter: number): void;
  onOutputs?(phase: 'train' | 'val', epoch: number, outputs: OutputValues): Promise<void> | void;
  onSnapshot?(epoch: number, dir: string): Promise<void> | void;
}

export interface TrainResult {
  schedule: Schedule;
  /** Training images per second, excluding validation and snapshots. */
  imagesPerSecond: number;
  snapshots: { epoch: number; dir: string }[];
}

/** Weight decay as DIGITS sets it for Caffe: base_lr / 100 (§8.4). */
const decayOf = (lr: number) => lr / 100;

/** Snapshot folder name for an epoch. */
export const snapshotDirName = (epoch: number) => `snapshot_${epoch}`;

class TrainLoop {
  private readonly optimizer: tf.Optimizer;
  private readonly vars: tf.Variable[];
  private readonly decayed: Set<string>;
  private readonly batch: BatchOptions;
  private readonly x: Float32Array;
  private readonly y: Int32Array;
  private readonly order: EpochOrder;
  private sums: tf.Scalar[];
  private summed = 0;

  constructor(private readonly s: TrainSetup, private readonly schedule: Schedule, private readonly iterSize: number) {
    const o = s.options;
    this.optimizer = createOptimizer(o.solver, o.learningRate, o.rmsDecay);
    const model = s.network.model;
    this.vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
    const decayedLayers = new Set(s.network.decayed);
    this.decayed = new Set(model.layers.filter((l) => decayedLayers.has(l.name)).flatMap((l) => l.trainableWeights.filter((w) => !/bias/.test(w.originalName)).map((w) => (w.read() as tf.Variable).name)));
    this.batch = { crop: s.crop, mirror: s.mirror, mean: s.mean, augmentation: o.augmentation, train: true, random: s.random };
    const [h, w, c] = inputShapeOf(s.train, s.crop);
    this.x = new Float32Array(s.batchSize * h * w * c);
    this.y = new Int32Array(s.batchSize);
    this.order = new EpochOrder(s.train.count, o.shuffle, s.random);
    this.sums = s.network.heads.map(() => tf.keep(tf.scalar(0)));
  }

  /** Loss of every head on one batch, weighted sum first; `training` turns dropout on. */
  private headLosses(x: tf.Tensor, labels: tf.Tensor): tf.Scalar[] {
    const outputs = this.s.network.model.apply(x, { training: true }) as tf.Tensor | tf.Tensor[];
    const logits = Array.isArray(outputs) ? outputs : [outputs];
    const onehot = tf.oneHot(labels as tf.Tensor1D, logits[0]!.shape[1]!);
    return logits.map((l) => tf.losses.softmaxCrossEntropy(onehot, l) as tf.Scalar);
  }

  /** Gradients of one batch (scaled for accumulation); adds the head losses to the running sums. */
  private batchGradients(): tf.NamedTensorMap {
    const { x, y } = this;
    fillBatch(this.s.train, this.order.next(this.s.batchSize), this.batch, x, y);
    const [h, w, c] = inputShapeOf(this.s.train, this.s.crop);
    return tf.tidy(() => {
      const input = tf.tensor4d(x, [this.s.batchSize, h, w, c]);
      const labels = tf.tensor1d(y, 'int32');
      let losses: tf.Scalar[] = [];
      const { grads } = tf.variableGrads(() => {
        losses = this.headLosses(input, labels);
        losses.forEach((l) => tf.keep(l));
        const weighted = losses.map((l, i) => tf.mul(l, this.s.network.heads[i]!.weight / this.iterSize));
        return tf.addN(weighted) as tf.Scalar;
      }, this.vars);
      const next = this.sums.map((sum, i) => tf.keep(tf.add(sum, losses[i]!)) as tf.Scalar);
      this.sums.forEach((sum) => sum.dispose());
      losses.forEach((l) => l.dispose());
      this.sums = next;
      this.summed++;
      return grads;
    });
  }

  /** One solver iteration: iter_size batches, decay, update. */
  step(lr: number): void {
    setLearningRate(this.optimizer, lr);
    let total: tf.NamedTensorMap | null = null;
    for (let k = 0; k < this.iterSize; k++) {
      const grads = this.batchGradients();
      if (!total) total = grads;
      else {
        const prev: tf.NamedTensorMap = total;
        total = Object.fromEntries(Object.entries(grads).map(([n, g]) => [n, tf.tidy(() => tf.add(prev[n]!, g))]));
        tf.dispose([prev, grads]);
      }
    }
    const decay = decayOf(this.s.options.learningRate);
    const final = tf.tidy(() => Object.fromEntries(this.vars.map((v) => {
      const g = total![v.name]!;
      return [v.name, decay > 0 && this.decayed.has(v.name) ? tf.add(g, tf.mul(v, decay)) : g.clone()];
    })));
    tf.dispose(total!);
    this.optimizer.applyGradients(final);
    tf.dispose(final);
  }

  /** Mean head losses since the last call (one read from the backend). */
  takeMeans(): number[] {
    const values = this.sums.map((s) => s.dataSync()[0]! / Math.max(1, this.summed));
    this.sums.forEach((s) => s.dispose());
    this.sums = this.s.network.heads.map(() => tf.keep(tf.scalar(0)));
    this.summed = 0;
    return values;
  }

  dispose(): void {
    this.sums.forEach((s) => s.dispose());
    disposeOptimizer(this.optimizer);
  }
}

function trainOutputs(setup: TrainSetup, means: number[], lr: number): OutputValues {
  const outputs: OutputValues = {};
  setup.network.heads.forEach((head, i) => {
    const value = means[i]!;
    if (!Number.isFinite(value)) throw Errors.TRAINING_DIVERGED(`Network outputted NaN for "${head.loss}" (train). Try decreasing your learning rate.`);
    outputs[head.loss] = { kind: 'SoftmaxWithLoss', value };
  });
  outputs.learning_rate = { kind: 'LearningRate', value: lr };
  return outputs;
}

/** Trains `setup.network.model` by DIGITS' schedule; resolves when done, rejects with JOB_ABORTED on abort. */
export async function train(setup: TrainSetup, hooks: TrainHooks = {}): Promise<TrainResult> {
  const o = setup.options;
  const iterSize = o.batchAccumulation ?? 1;
  const schedule = scheduleOf({ trainEntries: setup.train.count, batchSize: setup.batchSize, iterSize, epochs: o.trainEpochs, snapshotInterval: o.snapshotInterval, valInterval: o.valInterval });
  const loop = new TrainLoop(setup, schedule, iterSize);
  const snapshots: TrainResult['snapshots'] = [];
  let trainMs = 0;
  try {
    for (let iter = 1; iter <= schedule.maxIter; iter++) {
      if (hooks.signal?.aborted) throw Errors.JOB_ABORTED('training aborted by user');
      // Caffe computes the rate from the iteration count before the update
      const lr = learningRateAt(o.learningRate, o.lrPolicy, (100 * (iter - 1)) / schedule.maxIter);
      const started = performance.now();
      loop.step(lr);
      trainMs += performance.now() - started;
      const last = iter === schedule.maxIter;
      const epoch = epochOf(iter, schedule.itersPerEpoch);
      if (iter % schedule.display === 0 || last) await hooks.onOutputs?.('train', epoch, trainOutputs(setup, loop.takeMeans(), lr));
      if (setup.val && setup.val.count > 0 && o.valInterval > 0 && (iter % schedule.testEvery === 0 || last)) {
        await hooks.onOutputs?.('val', epoch, await evaluate(setup, hooks.signal));
      }
      if ((schedule.snapshotEvery > 0 && iter % schedule.snapshotEvery === 0) || last) {
        const dir = path.join(setup.jobDir, snapshotDirName(epoch));
        await saveModel(setup.network.deploy, dir, { ...setup.metadata, epoch });
        snapshots.push({ epoch, dir });
        await hooks.onSnapshot?.(epoch, dir);
      }
      hooks.onIteration?.(iter, schedule.maxIter);
      await yieldToEventLoop();
    }
  } finally {
    loop.dispose();
  }
  const images = schedule.maxIter * setup.batchSize * iterSize;
  return { schedule, imagesPerSecond: images / (trainMs / 1000), snapshots };
}
