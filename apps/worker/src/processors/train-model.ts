/** `train-model`: trains one model job on its dataset (contract §8, §9). */
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Job } from 'bullmq';
import { appendOutputs, compileChecker, Errors, TrainModelPayload, type JobRecord, type ModelState } from '@digits-ts/contracts';
import { backendInfo, train } from '@digits-ts/ml';
import type { WorkerContext } from '../context.ts';
import { epochSeconds, trainingImagesPerSecond } from '../metrics.ts';
import { prepareTraining } from '../training/setup.ts';
import { recordFailure, startJob } from './job-lifecycle.ts';

export const name = 'train-model';
const payloadChecker = compileChecker(TrainModelPayload);
const PROGRESS_EVERY_MS = 500;

function initialState(inputShape: number[], batchSize: number): ModelState {
  return { engine: backendInfo(), snapshots: [], trainOutputs: {}, valOutputs: {}, epoch: 0, imagesPerSecond: null, inputShape, batchSize, replicas: 1 };
}

/** Applies `change` to the record's model state. */
async function updateModel(ctx: WorkerContext, jobId: string, change: (m: ModelState) => ModelState): Promise<void> {
  await ctx.store.update(jobId, (r: JobRecord) => (r.model ? { ...r, model: change(r.model) } : r));
}

function inputShapeOfDataset(setup: { train: { height: number; width: number; channels: number } }): number[] {
  return [setup.train.height, setup.train.width, setup.train.channels];
}

export function createTrainModelProcessor(ctx: WorkerContext) {
  return async function process(job: Job): Promise<unknown> {
    const { jobId, datasetId, options } = payloadChecker.parse(job.data, 'train-model payload');
    const started = await startJob(ctx, job, jobId);
    if ('result' in started) return started.result;
    const { record, log, signal } = started;
    let dispose = () => {};
    try {
      const dataset = await ctx.store.get(datasetId);
      if (!dataset || dataset.status !== 'D') throw Errors.DATASET_NOT_READY(`dataset ${datasetId} is not Done`);
      const { setup, description } = await prepareTraining(ctx, record, datasetId, options, signal);
      dispose = () => setup.network.model.dispose();
      const inputShape = setup.network.model.inputs[0]!.shape.slice(1) as number[];
      // the model's architecture as TF.js layers JSON: the job JSON's `model file`
      await fs.writeFile(path.join(ctx.store.jobDir(jobId), 'network.json'), JSON.stringify(setup.network.deploy.toJSON(null, false)));
      // the mean as plain JSON (HWC, RGB), so a downloaded model runs without a protobuf reader
      if (setup.mean) await fs.writeFile(path.join(ctx.store.jobDir(jobId), 'mean.json'), JSON.stringify({ mode: options.useMean, shape: inputShapeOfDataset(setup), layout: 'HWC', channels: 'RGB', values: Array.from(setup.mean, (v) => Math.round(v * 1e4) / 1e4) }));
      await ctx.store.update(jobId, (r) => ({ ...r, model: initialState(inputShape, setup.batchSize) }));
      log.info({ network: description, backend: backendInfo(), train: setup.train.count, val: setup.val?.count ?? 0, batchSize: setup.batchSize, threads: setup.threads }, 'training started');
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
        onSnapshot: (epoch, dir) => updateModel(ctx, jobId, (m) => ({ ...m, snapshots: [...m.snapshots, { epoch, dir: dir.slice(dir.lastIndexOf('/') + 1) }] })),
      });
      await updateModel(ctx, jobId, (m) => ({ ...m, imagesPerSecond: Math.round(result.imagesPerSecond), replicas: result.threads }));
      trainingImagesPerSecond.set(result.imagesPerSecond);
      await ctx.store.setStatus(jobId, 'D');
      log.info({ imagesPerSecond: Math.round(result.imagesPerSecond), iterations: result.schedule.maxIter }, 'training done');
      return { iterations: result.schedule.maxIter, snapshots: result.snapshots.map((s) => s.epoch) };
    } catch (err) {
      if (await recordFailure(ctx, jobId, err, log, 'training')) return { aborted: true };
      throw err;
    } finally {
      dispose();
      started.release();
    }
  };
}
