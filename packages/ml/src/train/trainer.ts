/**
 * The training loop: DIGITS' schedule of solver iterations (`solver.ts`: gradient accumulation,
 * weight decay, the update) with the learning rate of each, periodic validation, DIGITS'
 * train/val outputs, snapshots and checkpoints. The caller owns the network and disposes it;
 * everything the loop creates it disposes itself.
 */
import path from 'node:path';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { Errors, learningRateAt, type TrainModelOptions } from '@digits-ts/contracts';
import type { RandomSource } from '@digits-ts/dataset';
import type { BuiltNetwork } from '../networks/index.ts';
import { openBatchSource, type BatchSource, type Split } from '../batches/source.ts';
import { epochOf, scheduleOf, type Schedule } from './schedule.ts';
import { saveModel } from './snapshot.ts';
import { restoreCheckpoint, saveCheckpoint, type CheckpointInfo } from './checkpoint.ts';
import { evaluate } from './evaluate.ts';
import { LOSS_LAYER_TYPES } from '../networks/index.ts';
import { Replica } from './replicas.ts';
import { Solver } from './solver.ts';
import { ReplicaTuner } from './replica-tuner.ts';
import { StepClock } from '../webgpu/queue.ts';
import type { GpuAdapter, GpuSelection } from '../webgpu/dawn.ts';

export interface TrainSetup {
  network: BuiltNetwork;
  /** In memory, or streamed from its LMDB (`streamedSplit`). */
  train: Split;
  val: Split | null;
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
  /** Threads sharing each batch (data-parallel replicas on CPU cores, or one per GPU on webgpu); default 1. */
  threads?: number;
  /** webgpu: the GPU of each replica thread (replica r on `replicaGpus[r - 1]`), the trainer keeping its own. */
  replicaGpus?: GpuSelection[];
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
  /** webgpu: the GPU of each replica thread that shared the batches (the trainer's own is `backendInfo()`'s). */
  replicaAdapters: GpuAdapter[];
  /** The checkpoint this run continued from, if any. */
  resumedFrom: CheckpointInfo | null;
}

/** Snapshot folder name for an epoch. */
export const snapshotDirName = (epoch: number) => `snapshot_${epoch}`;

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
  const trainData = await openBatchSource(setup.train, setup.batchSize);
  let solver: Solver;
  try {
    solver = new Solver(setup, iterSize, trainData);
  } catch (err) {
    await trainData.close();
    throw err;
  }
  // opened at the first validation, kept for the next ones
  let valData: BatchSource | null = null;
  const snapshots: TrainResult['snapshots'] = [];
  // training time: the stretches of steps, reports, validation and snapshots left out
  const clock = new StepClock();
  let threadsUsed = 1;
  let replicaAdapters: GpuAdapter[] = [];
  let resumedFrom: CheckpointInfo | null = null;
  // solver iterations applied so far, and where the newest checkpoint stands
  let done = 0;
  let checkpointed = 0;
  let checkpointedAt = performance.now();
  const checkpoint = async () => {
    const epoch = epochOf(done, schedule.itersPerEpoch);
    await saveCheckpoint(setup.jobDir, { model: setup.network.model, optimizer: solver.optimizer, variables: solver.vars }, { iteration: done, epoch, maxIter: schedule.maxIter, order: solver.order.state() });
    checkpointed = done;
    checkpointedAt = performance.now();
    await hooks.onCheckpoint?.({ iteration: done, epoch });
  };
  try {
    if (setup.resume) {
      resumedFrom = await restoreCheckpoint(setup.jobDir, { model: setup.network.model, optimizer: solver.optimizer, variables: solver.vars });
      if (resumedFrom.maxIter !== schedule.maxIter) throw Errors.CHECKPOINT_INVALID(`the checkpoint was taken with ${resumedFrom.maxIter} iterations planned, this training plans ${schedule.maxIter}`);
      solver.order.restore(resumedFrom.order);
      done = checkpointed = resumedFrom.iteration;
    }
    const first = done + 1;
    // a replica needs at least one sample of every batch
    const threads = Math.min(setup.threads ?? 1, setup.batchSize);
    for (let r = 1; r < threads; r++) solver.replicas.push(await Replica.start(setup, trainData.samples, solver.vars, Math.floor(setup.random() * 2 ** 31) + r, setup.batchSize, setup.replicaGpus?.[r - 1]));
    const tuner = new ReplicaTuner(first, solver.replicas.length > 0 && !setup.keepThreads);
    clock.resume();
    for (let iter = first; iter <= schedule.maxIter; iter++) {
      if (hooks.signal?.aborted) throw Errors.JOB_ABORTED('training aborted by user');
      // Caffe computes the rate from the iteration count before the update
      const lr = learningRateAt(o.learningRate, o.lrPolicy, (100 * (iter - 1)) / schedule.maxIter);
      solver.useReplicas = tuner.shares(iter);
      const started = performance.now();
      await solver.step(lr);
      await clock.stepQueued();
      done = iter;
      if (tuner.took(iter, performance.now() - started)) await solver.dropReplicas();
      threadsUsed = 1 + solver.replicas.length;
      replicaAdapters = solver.replicas.flatMap((r) => (r.adapter ? [r.adapter] : []));
      const last = iter === schedule.maxIter;
      const epoch = epochOf(iter, schedule.itersPerEpoch);
      const display = iter % schedule.display === 0 || last;
      const validate = setup.val && setup.val.count > 0 && o.valInterval > 0 && (iter % schedule.testEvery === 0 || last);
      const snapshot = (schedule.snapshotEvery > 0 && iter % schedule.snapshotEvery === 0) || last;
      const due = !snapshot && setup.checkpointEveryMs && performance.now() - checkpointedAt >= setup.checkpointEveryMs;
      const pause = display || validate || snapshot || due;
      if (pause) await clock.pause();
      if (display) await hooks.onOutputs?.('train', epoch, trainOutputs(setup, await solver.takeMeans(), lr));
      if (validate) {
        valData ??= await openBatchSource(setup.val!, setup.valBatchSize);
        await hooks.onOutputs?.('val', epoch, await evaluate(setup, hooks.signal, valData));
      }
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
    await solver.dispose();
    await trainData.close();
    await valData?.close();
  }
  const images = (schedule.maxIter - (resumedFrom?.iteration ?? 0)) * setup.batchSize * iterSize;
  return { schedule, imagesPerSecond: images / (clock.ms / 1000), snapshots, threads: threadsUsed, replicaAdapters, resumedFrom };
}
