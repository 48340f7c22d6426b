/** `train-model`: trains one model job on its dataset (contract §8, §9). */
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Job } from 'bullmq';
import { appendOutputs, compileChecker, Errors, isAppError, TrainModelPayload, type JobRecord, type ModelState } from '@digits-ts/contracts';
import { backendInfo, train } from '@digits-ts/ml';
import { isAbortRequested } from '@digits-ts/queue';
import type { WorkerContext } from '../context.ts';
import { prepareTraining } from '../training/setup.ts';

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

async function endWith(ctx: WorkerContext, jobId: string, err: unknown, log: WorkerContext['log']): Promise<void> {
  if (isAppError(err) && err.code === Errors.JOB_ABORTED.code) {
    await ctx.store.setStatus(jobId, 'A', { code: err.code, message: err.message });
    log.info('training aborted');
    return;
  }
  const failure = isAppError(err) ? { code: err.code, message: err.message } : { code: 'INTERNAL', message: 'training failed unexpectedly; the worker log has the details' };
  await ctx.store.setStatus(jobId, 'E', failure);
  log.error({ err }, 'training failed');
}

export function createTrainModelProcessor(ctx: WorkerContext) {
  return async function process(job: Job): Promise<unknown> {
    const { jobId, datasetId, options } = payloadChecker.parse(job.data, 'train-model payload');
    const log = ctx.log.child({ queue: job.queueName, job: job.name, jobId, attempt: job.attemptsMade });
    const record = await ctx.store.get(jobId);
    if (!record) return { skipped: 'job deleted' };
    if (record.status === 'A' || (await isAbortRequested(ctx.redis, ctx.config.redis.prefix, jobId))) {
      await ctx.store.setStatus(jobId, 'A', { code: 'JOB_ABORTED', message: 'aborted by user' });
      return { aborted: true };
    }
    const controller = new AbortController();
    ctx.running.set(jobId, controller);
    await ctx.store.setStatus(jobId, 'R');
    let dispose = () => {};
    try {
      const dataset = await ctx.store.get(datasetId);
      if (!dataset || dataset.status !== 'D') throw Errors.DATASET_NOT_READY(`dataset ${datasetId} is not Done`);
      const { setup, description } = await prepareTraining(ctx, record, datasetId, options, controller.signal);
      dispose = () => setup.network.model.dispose();
      const inputShape = setup.network.model.inputs[0]!.shape.slice(1) as number[];
      // the model's architecture as TF.js layers JSON: the job JSON's `model file`
      await fs.writeFile(path.join(ctx.store.jobDir(jobId), 'network.json'), JSON.stringify(setup.network.deploy.toJSON(null, false)));
      await ctx.store.update(jobId, (r) => ({ ...r, model: initialState(inputShape, setup.batchSize) }));
      log.info({ network: description, backend: backendInfo(), train: setup.train.count, val: setup.val?.count ?? 0, batchSize: setup.batchSize }, 'training started');
      let lastProgress = 0;
      const result = await train(setup, {
        signal: controller.signal,
        onIteration: (iteration, maxIter) => {
          if (Date.now() - lastProgress < PROGRESS_EVERY_MS && iteration < maxIter) return;
          lastProgress = Date.now();
          void ctx.store.setProgress(jobId, iteration / maxIter).catch((err: unknown) => log.warn({ err }, 'progress not saved'));
        },
        onOutputs: (phase, epoch, values) => updateModel(ctx, jobId, (m) => phase === 'train'
          ? { ...m, epoch, trainOutputs: appendOutputs(m.trainOutputs, epoch, values) }
          : { ...m, valOutputs: appendOutputs(m.valOutputs, epoch, values) }),
        onSnapshot: (epoch, dir) => updateModel(ctx, jobId, (m) => ({ ...m, snapshots: [...m.snapshots, { epoch, dir: dir.slice(dir.lastIndexOf('/') + 1) }] })),
      });
      await updateModel(ctx, jobId, (m) => ({ ...m, imagesPerSecond: Math.round(result.imagesPerSecond) }));
      await ctx.store.setStatus(jobId, 'D');
      log.info({ imagesPerSecond: Math.round(result.imagesPerSecond), iterations: result.schedule.maxIter }, 'training done');
      return { iterations: result.schedule.maxIter, snapshots: result.snapshots.map((s) => s.epoch) };
    } catch (err) {
      await endWith(ctx, jobId, err, log);
      if (isAppError(err) && err.code === Errors.JOB_ABORTED.code) return { aborted: true };
      throw err;
    } finally {
      dispose();
      ctx.running.delete(jobId);
    }
  };
}
