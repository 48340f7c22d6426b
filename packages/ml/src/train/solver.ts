/**
 * Caffe's solver step on TF.js: each iteration sums the gradients of iter_size batches (each
 * batch shared with the replica threads), adds weight decay and applies the optimizer's update,
 * keeping running head-loss sums for the train outputs. The schedule around it (reports,
 * validation, snapshots, checkpoints) is `trainer.ts`.
 */
import { Errors } from '@digits-ts/contracts';
import { tf } from '../tf.ts';
import type { BatchOptions } from '../batches/fill.ts';
import { BatchFeed } from '../batches/feed.ts';
import type { BatchSource } from '../batches/source.ts';
import { EpochOrder } from './epoch-order.ts';
import { createOptimizer, disposeOptimizer, setLearningRate } from './optimizers.ts';
import { isFusedMomentum } from './fused-momentum.ts';
import { headLosses, labelTensors, targetBuffer } from './losses.ts';
import { Replica } from './replicas.ts';
import type { TrainSetup } from './trainer.ts';

/** Weight decay as DIGITS sets it for Caffe: base_lr / 100 (§8.4). */
const decayOf = (lr: number) => lr / 100;

/** `x · factor`, without a multiply (a GPU dispatch, and one more in the gradient) when it is 1. */
const scaled = (x: tf.Scalar, factor: number): tf.Scalar => (factor === 1 ? x : tf.mul(x, factor));

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

/** Caffe's solver for one run: its optimizer, batch feed, epoch order, loss sums and replicas. */
export class Solver {
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

  /** `data` holds the training batches (`s.train` in memory, or its read-ahead ring). */
  constructor(private readonly s: TrainSetup, private readonly iterSize: number, private readonly data: BatchSource) {
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
   * Gradients of this thread's share of a batch (`positions` in `data.samples`), scaled by
   * `scale` (its share of the batch over iter_size); adds its head losses, scaled alike, to the running sums.
   */
  private ownGradients(positions: number[], scale: number): tf.NamedTensorMap {
    const { y, t } = this;
    const n = positions.length;
    return tf.tidy(() => {
      const input = this.feed.input(this.data.samples, positions, y, t ?? undefined);
      const labels = labelTensors(y, t, n, this.s.train.targetSize ?? 1);
      let losses: tf.Scalar[] = [];
      const { grads } = tf.variableGrads(() => {
        losses = headLosses(this.s.network.model, this.s.network.heads, input, labels, this.s.random);
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
    const bs = this.s.batchSize;
    const indices = this.order.next(bs);
    // the batches after this one, so a streamed split reads them while this one trains
    const positions = await this.data.batch(indices, (k) => this.order.planned(k * bs, bs));
    const replicas = this.useReplicas ? this.replicas : [];
    const parts = shares(positions, 1 + replicas.length);
    const scaleOf = (part: number[]) => part.length / positions.length / this.iterSize;
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
