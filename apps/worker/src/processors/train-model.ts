/** `train-model`: trains one model job on its dataset (contract §8, §9). */
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Job } from 'bullmq';
import { appendOutputs, Errors, outputsUpTo, payloadChecker, type JobRecord, type ModelState, type ResultOf } from '@digits-ts/contracts';
import { createRandom } from '@digits-ts/dataset';
import { backendInfo, isStreamed, readCheckpointInfo, releaseCachedBuffers, train, type CheckpointInfo } from '@digits-ts/ml';
import type { WorkerContext } from '../context.ts';
import { epochSeconds, trainingImagesPerSecond } from '../metrics.ts';
import { prepareTraining } from '../training/setup.ts';
import { recordFailure, requeueForShutdown, startJob, stoppedByShutdown } from './job-lifecycle.ts';

export const name = 'train-model';
const PROGRESS_EVERY_MS = 500;

function initialState(inputShape: number[], batchSize: number): ModelState {
  return { engine: backendInfo(), snapshots: [], trainOutputs: {}, valOutputs: {}, epoch: 0, imagesPerSecond: null, inputShape, batchSize, replicas: 1 };
}

/**
 * The model state a resumed training continues: the history up to the checkpoint (what came
 * after it is trained again), and a note of where and on which worker it resumed.
 */
function resumedState(m: ModelState, checkpoint: CheckpointInfo, workerId: string): ModelState {
  const { iteration, epoch } = checkpoint;
  return {
    ...m, engine: backendInfo(), epoch,
    trainOutputs: outputsUpTo(m.trainOutputs, epoch),
    valOutputs: outputsUpTo(m.valOutputs, epoch),
    snapshots: m.snapshots.filter((s) => s.epoch <= epoch),
    checkpoint: { iteration, epoch },
    resumes: [...(m.resumes ?? []), { at: Date.now() / 1000, iteration, epoch, worker: workerId }],
  };
}

/** Applies `change` to the record's model state. */
async function updateModel(ctx: WorkerContext, jobId: string, change: (m: ModelState) => ModelState): Promise<void> {
  await ctx.store.update(jobId, (r: JobRecord) => (r.model ? { ...r, model: change(r.model) } : r));
}

function inputShapeOfDataset(setup: { train: { height: number; width: number; channels: number } }): number[] {
  return [setup.train.height, setup.train.width, setup.train.channels];
}

export function createTrainModelProcessor(ctx: WorkerContext) {
  return async function process(job: Job, token?: string): Promise<ResultOf<'train-model'>> {
    const { jobId, datasetId, options } = payloadChecker('train-model').parse(job.data, 'train-model payload');
    const started = await startJob(ctx, job, jobId);
    if ('result' in started) return started.result;
    const { record, log, signal } = started;
    let dispose = () => {};
    try {
      const dataset = await ctx.store.get(datasetId);
      if (!dataset || dataset.status !== 'D') throw Errors.DATASET_NOT_READY(`dataset ${datasetId} is not Done`);
      const { setup, description, gpus } = await prepareTraining(ctx, record, datasetId, options, signal);
      dispose = () => {
        setup.network.model.dispose();
        releaseCachedBuffers();
      };
      // a checkpoint and a model state: an earlier run stopped (worker killed or stopped, abort, resume)
      const checkpoint = record.model ? await readCheckpointInfo(ctx.store.jobDir(jobId)) : null;
      if (checkpoint) {
        setup.resume = true;
        // the augmentation and next epochs' shuffles draw on from here, not from the seed's start
        setup.random = createRandom(((options.randomSeed ?? Date.now()) + checkpoint.iteration) >>> 0);
      }
      if (ctx.config.checkpointEveryMs > 0) setup.checkpointEveryMs = ctx.config.checkpointEveryMs;
      const inputShape = setup.network.model.inputs[0]!.shape.slice(1) as number[];
      // the model's architecture as TF.js layers JSON: the job JSON's `model file`
      await fs.writeFile(path.join(ctx.store.jobDir(jobId), 'network.json'), JSON.stringify(setup.network.deploy.toJSON(null, false)));
      // the mean as plain JSON (HWC, RGB), so a downloaded model runs without a protobuf reader
      if (setup.mean) await fs.writeFile(path.join(ctx.store.jobDir(jobId), 'mean.json'), JSON.stringify({ mode: options.useMean, shape: inputShapeOfDataset(setup), layout: 'HWC', channels: 'RGB', values: Array.from(setup.mean, (v) => Math.round(v * 1e4) / 1e4) }));
      await ctx.store.update(jobId, (r) => ({ ...r, model: checkpoint && r.model ? resumedState(r.model, checkpoint, ctx.workerId) : initialState(inputShape, setup.batchSize) }));
      if (gpus.length > 0) await updateModel(ctx, jobId, (m) => ({ ...m, gpus }));
      if (checkpoint) log.info({ iteration: checkpoint.iteration, epoch: checkpoint.epoch }, 'training resumes from its checkpoint');
      log.info({ network: description, backend: backendInfo(), train: setup.train.count, val: setup.val?.count ?? 0, streamed: isStreamed(setup.train), batchSize: setup.batchSize, threads: setup.threads, gpus }, 'training started');
      let lastProgress = 0;
      let epochStarted = performance.now();
      let wholeEpochs = 0;
      const result = await train(setup, {
        signal: signal,
        onIteration: (iteration, maxIter) => {
          if (Date.now() - lastProgress < PROGRESS_EVERY_MS && iteration < maxIter) return;
          lastProgress = Date.now();
          void ctx.store.setProgress(jobId, iteration / maxIter).catch((err: unknown) => log.warn({ err }, 'progress not saved'));
        },
        onOutputs: (phase, epoch, values) => {
          if (Math.floor(epoch) > wholeEpochs) {
            epochSeconds.observe((performance.now() - epochStarted) / 1000);
            epochStarted = performance.now();
            wholeEpochs = Math.floor(epoch);
          }
          return updateModel(ctx, jobId, (m) => phase === 'train'
          ? { ...m, epoch, trainOutputs: appendOutputs(m.trainOutputs, epoch, values) }
          : { ...m, valOutputs: appendOutputs(m.valOutputs, epoch, values) });
        },
        onSnapshot: (epoch, dir) => updateModel(ctx, jobId, (m) => ({ ...m, snapshots: [...m.snapshots.filter((s) => s.epoch !== epoch), { epoch, dir: path.basename(dir), worker: ctx.workerId }] })),
        onCheckpoint: ({ iteration, epoch }) => updateModel(ctx, jobId, (m) => ({ ...m, checkpoint: { iteration, epoch } })),
      });
      // the GPUs that shared the batches, each with the adapter its device ran on
      const adapters = [backendInfo()?.adapter, ...result.replicaAdapters];
      const trainedOn = gpus.slice(0, result.threads).map((g, i) => ({ ...g, ...(adapters[i] ? { device: adapters[i].device } : {}) }));
      await updateModel(ctx, jobId, (m) => ({ ...m, imagesPerSecond: Math.round(result.imagesPerSecond), replicas: result.threads, ...(trainedOn.length > 0 ? { gpus: trainedOn } : {}) }));
      trainingImagesPerSecond.set(result.imagesPerSecond);
      // free the network before saying Done: Redis shows Done while job.json is still being
      // written, and whoever reads it (the next job on this GPU, a test) expects the memory back
      dispose();
      dispose = () => {};
      await ctx.store.setStatus(jobId, 'D');
      log.info({ imagesPerSecond: Math.round(result.imagesPerSecond), iterations: result.schedule.maxIter }, 'training done');
      return { iterations: result.schedule.maxIter, snapshots: result.snapshots.map((s) => s.epoch) };
    } catch (err) {
      // stopped with the worker: the checkpoint was written, the next worker continues from it
      if (stoppedByShutdown(signal)) return await requeueForShutdown(ctx, job, token, jobId, log);
      if (await recordFailure(ctx, jobId, err, log, 'training')) return { aborted: true };
      throw err;
    } finally {
      dispose();
      started.release();
    }
  };
}
