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
import type { BatchOptions } from '../batches/fill.ts';
import { BatchFeed } from '../batches/feed.ts';
import type { Samples } from '../batches/samples.ts';
import { EpochOrder } from './epoch-order.ts';
import { createOptimizer, disposeOptimizer, setLearningRate } from './optimizers.ts';
import { isFusedMomentum } from './fused-momentum.ts';
import { epochOf, scheduleOf, type Schedule } from './schedule.ts';
import { saveModel } from './snapshot.ts';
import { restoreCheckpoint, saveCheckpoint, type CheckpointInfo } from './checkpoint.ts';
import { evaluate } from './evaluate.ts';
import { headLosses, labelTensors, targetBuffer } from './losses.ts';
import { LOSS_LAYER_TYPES } from '../networks/index.ts';
import { Replica } from './replicas.ts';
import { ReplicaTuner } from './replica-tuner.ts';
import { StepClock } from '../webgpu/queue.ts';

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
  /** Threads sharing each batch (data-parallel replicas on CPU backends); default 1. */
  threads?: number;
  /** Keep the replicas even when timing says one thread is as fast (tests); default false. */
  keepThreads?: boolean;
  /** Continue from `<jobDir>/checkpoint/` instead of iteration 1. */
  resume?: boolean;
  /** Also checkpoint when this long has passed since the last one (milliseconds); default never. */
  checkpointEveryMs?: number;
}

/** One reported value with the layer kind that produced it (§9.1). */
export type OutputValues = Record<string, { kind: string; value: number }>;

export interface TrainHooks {
  signal?: AbortSignal;
  /** After every iteration; the caller throttles. */
  onIteration?(iteration: number, maxIter: number): void;
  onOutputs?(phase: 'train' | 'val', epoch: number, outputs: OutputValues): Promise<void> | void;
  onSnapshot?(epoch: number, dir: string): Promise<void> | void;
  /** After each checkpoint is written (with every snapshot, on a timer, and when stopped). */
  onCheckpoint?(info: { iteration: number; epoch: number }): Promise<void> | void;
}

export interface TrainResult {
  schedule: Schedule;
  /** Training images per second, excluding validation and snapshots. */
  imagesPerSecond: number;
  snapshots: { epoch: number; dir: string }[];
  /** Threads that shared each batch. */
  threads: number;
  /** The checkpoint this run continued from, if any. */
  resumedFrom: CheckpointInfo | null;
}

/** Weight decay as DIGITS sets it for Caffe: base_lr / 100 (§8.4). */
const decayOf = (lr: number) => lr / 100;

/** `x · factor`, without a multiply (a GPU dispatch, and one more in the gradient) when it is 1. */
const scaled = (x: tf.Scalar, factor: number): tf.Scalar => (factor === 1 ? x : tf.mul(x, factor));

/** Snapshot folder name for an epoch. */
export const snapshotDirName = (epoch: number) => `snapshot_${epoch}`;

/** Splits `indices` into `parts` nearly equal shares, largest first. */
function shares(indices: number[], parts: number): number[][] {
  const out: number[][] = [];
  let start = 0;
  for (let p = 0; p < parts; p++) {
    const size = Math.ceil((indices.length - start) / (parts - p));
    out.push(indices.slice(start, start + size));
    start += size;
  }
  return out;
}

class TrainLoop {
  readonly optimizer: tf.Optimizer;
  readonly vars: tf.Variable[];
  private readonly decayed: Set<string>;
  private readonly feed: BatchFeed;
  private readonly y: Int32Array;
  /** Label vectors of the batch, for regression heads. */
  private readonly t: Float32Array | null;
  readonly order: EpochOrder;
  /** Running per-head loss sums: this thread's as tensors (no sync per step), replicas' as numbers. */
  private sums: tf.Scalar[];
  private replicaSums: number[];
  private summed = 0;
  replicas: Replica[] = [];
  /** Off while timing one thread alone (`replica-tuner.ts`). */
  useReplicas = true;

  constructor(private readonly s: TrainSetup, private readonly schedule: Schedule, private readonly iterSize: number) {
    const o = s.options;
    this.optimizer = createOptimizer(o.solver, o.learningRate, o.rmsDecay);
    const model = s.network.model;
    this.vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
    const decayedLayers = new Set(s.network.decayed);
    this.decayed = new Set(model.layers.filter((l) => decayedLayers.has(l.name)).flatMap((l) => l.trainableWeights.filter((w) => !/bias/.test(w.originalName)).map((w) => (w.read() as tf.Variable).name)));
    const batch: BatchOptions = { crop: s.crop, mirror: s.mirror, mean: s.mean, augmentation: o.augmentation, train: true, random: s.random };
    this.feed = new BatchFeed(s.train, batch, s.batchSize);
    this.y = new Int32Array(s.batchSize);
    this.t = targetBuffer(s.network.heads, s.batchSize, s.train.targetSize);
    this.order = new EpochOrder(s.train.count, o.shuffle, s.random);
    this.sums = s.network.heads.map(() => tf.keep(tf.scalar(0)));
    this.replicaSums = s.network.heads.map(() => 0);
  }

  /**
   * Gradients of this thread's share of a batch, scaled by `scale` (its share of the batch over
   * iter_size); adds its head losses, scaled alike, to the running sums.
   */
  private ownGradients(indices: number[], scale: number): tf.NamedTensorMap {
    const { y, t } = this;
    const n = indices.length;
    return tf.tidy(() => {
      const input = this.feed.input(this.s.train, indices, y, t ?? undefined);
      const labels = labelTensors(y, t, n, this.s.train.targetSize ?? 1);
      let losses: tf.Scalar[] = [];
      const { grads } = tf.variableGrads(() => {
        losses = headLosses(this.s.network.model, this.s.network.heads, input, labels);
        losses.forEach((l) => tf.keep(l));
        const weighted = losses.map((l, i) => scaled(l, this.s.network.heads[i]!.weight * scale));
        return (weighted.length === 1 ? weighted[0]! : tf.addN(weighted)) as tf.Scalar;
      }, this.vars);
      const next = this.sums.map((sum, i) => tf.keep(tf.add(sum, scaled(losses[i]!, scale * this.iterSize))) as tf.Scalar);
      this.sums.forEach((sum) => sum.dispose());
      losses.forEach((l) => l.dispose());
      this.sums = next;
      return grads;
    });
  }

  /** Gradients of one batch: shares go to the replicas, this thread computes the first. */
  private async batchGradients(weightsChanged: boolean): Promise<tf.NamedTensorMap> {
    const indices = this.order.next(this.s.batchSize);
    const replicas = this.useReplicas ? this.replicas : [];
    const parts = shares(indices, 1 + replicas.length);
    const scaleOf = (part: number[]) => part.length / indices.length / this.iterSize;
    const pending = replicas.map((r, i) => r.begin(parts[i + 1]!, scaleOf(parts[i + 1]!), weightsChanged));
    let grads = this.ownGradients(parts[0]!, scaleOf(parts[0]!));
    const replies = await Promise.all(pending);
    for (const [i, reply] of replies.entries()) {
      if (!reply.ok) {
        tf.dispose(grads);
        throw Errors.INTERNAL(`a training replica failed: ${reply.message}`);
      }
      reply.losses.forEach((l, h) => { this.replicaSums[h]! += l * scaleOf(parts[i + 1]!) * this.iterSize; });
      const theirs = replicas[i]!.gradientTensors();
      const sum = tf.tidy(() => Object.fromEntries(Object.keys(grads).map((n) => [n, tf.add(grads[n]!, theirs[n]!)])));
      tf.dispose([grads, theirs]);
      grads = sum;
    }
    this.summed++;
    return grads;
  }

  /** One solver iteration: iter_size batches, decay, update. */
  async step(lr: number): Promise<void> {
    setLearningRate(this.optimizer, lr);
    let total: tf.NamedTensorMap | null = null;
    for (let k = 0; k < this.iterSize; k++) {
      const grads = await this.batchGradients(k === 0);
      if (!total) total = grads;
      else {
        const prev: tf.NamedTensorMap = total;
        total = tf.tidy(() => Object.fromEntries(Object.entries(grads).map(([n, g]) => [n, tf.add(prev[n]!, g)])));
        tf.dispose([prev, grads]);
      }
    }
    const decay = decayOf(this.s.options.learningRate);
    if (isFusedMomentum(this.optimizer)) {
      // the fused update adds the decay itself
      this.optimizer.decayOf = (name) => (this.decayed.has(name) ? decay : 0);
      (this.optimizer as tf.Optimizer).applyGradients(total!);
      tf.dispose(total!);
      return;
    }
    const final = tf.tidy(() => Object.fromEntries(this.vars.map((v) => {
      const g = total![v.name]!;
      return [v.name, decay > 0 && this.decayed.has(v.name) ? tf.add(g, tf.mul(v, decay)) : g.clone()];
    })));
    tf.dispose(total!);
    this.optimizer.applyGradients(final);
    tf.dispose(final);
  }

  /** Mean head losses since the last call (one read from the backend). */
  async takeMeans(): Promise<number[]> {
    const read = await Promise.all(this.sums.map((s) => s.data()));
    const values = read.map((v, i) => (v[0]! + this.replicaSums[i]!) / Math.max(1, this.summed));
    this.sums.forEach((s) => s.dispose());
    this.sums = this.s.network.heads.map(() => tf.keep(tf.scalar(0)));
    this.replicaSums = this.replicaSums.map(() => 0);
    this.summed = 0;
    return values;
  }

  /** Stops the replica threads; later steps run on this thread alone. */
  async dropReplicas(): Promise<void> {
    const replicas = this.replicas;
    this.replicas = [];
    await Promise.all(replicas.map((r) => r.close()));
  }

  async dispose(): Promise<void> {
    this.sums.forEach((s) => s.dispose());
    this.feed.dispose();
    disposeOptimizer(this.optimizer);
    await this.dropReplicas();
  }
}

function trainOutputs(setup: TrainSetup, means: number[], lr: number): OutputValues {
  const outputs: OutputValues = {};
  setup.network.heads.forEach((head, i) => {
    const value = means[i]!;
    if (!Number.isFinite(value)) throw Errors.TRAINING_DIVERGED(`Network outputted NaN for "${head.loss}" (train). Try decreasing your learning rate.`);
    outputs[head.loss] = { kind: LOSS_LAYER_TYPES[head.kind ?? 'softmax'], value };
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
  // training time: the stretches of steps, reports, validation and snapshots left out
  const clock = new StepClock();
  let threadsUsed = 1;
  let resumedFrom: CheckpointInfo | null = null;
  // solver iterations applied so far, and where the newest checkpoint stands
  let done = 0;
  let checkpointed = 0;
  let checkpointedAt = performance.now();
  const checkpoint = async () => {
    const epoch = epochOf(done, schedule.itersPerEpoch);
    await saveCheckpoint(setup.jobDir, { model: setup.network.model, optimizer: loop.optimizer, variables: loop.vars }, { iteration: done, epoch, maxIter: schedule.maxIter, order: loop.order.state() });
    checkpointed = done;
    checkpointedAt = performance.now();
    await hooks.onCheckpoint?.({ iteration: done, epoch });
  };
  try {
    if (setup.resume) {
      resumedFrom = await restoreCheckpoint(setup.jobDir, { model: setup.network.model, optimizer: loop.optimizer, variables: loop.vars });
      if (resumedFrom.maxIter !== schedule.maxIter) throw Errors.CHECKPOINT_INVALID(`the checkpoint was taken with ${resumedFrom.maxIter} iterations planned, this training plans ${schedule.maxIter}`);
      loop.order.restore(resumedFrom.order);
      done = checkpointed = resumedFrom.iteration;
    }
    const first = done + 1;
    // a replica needs at least one sample of every batch
    const threads = Math.min(setup.threads ?? 1, setup.batchSize);
    for (let r = 1; r < threads; r++) loop.replicas.push(await Replica.start(setup, loop.vars, Math.floor(setup.random() * 2 ** 31) + r, setup.batchSize));
    const tuner = new ReplicaTuner(first, loop.replicas.length > 0 && !setup.keepThreads);
    clock.resume();
    for (let iter = first; iter <= schedule.maxIter; iter++) {
      if (hooks.signal?.aborted) throw Errors.JOB_ABORTED('training aborted by user');
      // Caffe computes the rate from the iteration count before the update
      const lr = learningRateAt(o.learningRate, o.lrPolicy, (100 * (iter - 1)) / schedule.maxIter);
      loop.useReplicas = tuner.shares(iter);
      const started = performance.now();
      await loop.step(lr);
      await clock.stepQueued();
      done = iter;
      if (tuner.took(iter, performance.now() - started)) await loop.dropReplicas();
      threadsUsed = 1 + loop.replicas.length;
      const last = iter === schedule.maxIter;
      const epoch = epochOf(iter, schedule.itersPerEpoch);
      const display = iter % schedule.display === 0 || last;
      const validate = setup.val && setup.val.count > 0 && o.valInterval > 0 && (iter % schedule.testEvery === 0 || last);
      const snapshot = (schedule.snapshotEvery > 0 && iter % schedule.snapshotEvery === 0) || last;
      const due = !snapshot && setup.checkpointEveryMs && performance.now() - checkpointedAt >= setup.checkpointEveryMs;
      const pause = display || validate || snapshot || due;
      if (pause) await clock.pause();
      if (display) await hooks.onOutputs?.('train', epoch, trainOutputs(setup, await loop.takeMeans(), lr));
      if (validate) await hooks.onOutputs?.('val', epoch, await evaluate(setup, hooks.signal));
      if (snapshot) {
        const dir = path.join(setup.jobDir, snapshotDirName(epoch));
        await saveModel(setup.network.deploy, dir, { ...setup.metadata, epoch });
        snapshots.push({ epoch, dir });
        await hooks.onSnapshot?.(epoch, dir);
        if (!last) await checkpoint();
      } else if (due) {
        await checkpoint();
      }
      if (pause) clock.resume();
      hooks.onIteration?.(iter, schedule.maxIter);
      await yieldToEventLoop();
    }
  } catch (err) {
    // stopped (user abort or worker shutdown): keep the iterations done since the last checkpoint
    // (a checkpoint after the last iteration would resume into nothing: no final snapshot)
    if (hooks.signal?.aborted && done > checkpointed && done < schedule.maxIter) await checkpoint();
    throw err;
  } finally {
    await loop.dispose();
  }
  const images = (schedule.maxIter - (resumedFrom?.iteration ?? 0)) * setup.batchSize * iterSize;
  return { schedule, imagesPerSecond: images / (clock.ms / 1000), snapshots, threads: threadsUsed, resumedFrom };
}
