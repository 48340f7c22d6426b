/** `build-dataset`: turns a dataset job's form into LMDB databases (contract §6). */
import type { Job } from 'bullmq';
import { BuildDatasetPayload, compileChecker, Errors, isAppError, type DatasetState } from '@digits-ts/contracts';
import { createRandom } from '@digits-ts/dataset';
import { isAbortRequested } from '@digits-ts/queue';
import { buildDataset } from '../dataset-build/build.ts';
import type { WorkerContext } from '../context.ts';
import { releaseWaitingModels } from '../training/release-waiting.ts';

export const name = 'build-dataset';
const payloadChecker = compileChecker(BuildDatasetPayload);
/** Live progress is written at most this often (milliseconds). */
const PROGRESS_EVERY_MS = 500;

/** Runs one build; the job record's status follows it (Running → Done | Aborted | Error). */
export function createBuildDatasetProcessor(ctx: WorkerContext) {
  return async function process(job: Job): Promise<unknown> {
    const payload = payloadChecker.parse(job.data, 'build-dataset payload');
    const { jobId } = payload;
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
    log.info('dataset build started');
    const started = Date.now();
    let lastProgress = 0;
    try {
      const state = await buildDataset({
        jobDir: ctx.store.jobDir(jobId), options: payload.options, pool: ctx.imagePool(), maxPixels: ctx.config.imageMaxPixels,
        roots: ctx.roots, random: createRandom(Date.now() >>> 0), signal: controller.signal,
        onState: async (dataset: DatasetState) => { await ctx.store.update(jobId, (r) => ({ ...r, dataset })); },
        onProgress: (fraction) => {
          if (Date.now() - lastProgress < PROGRESS_EVERY_MS) return;
          lastProgress = Date.now();
          void ctx.store.setProgress(jobId, fraction).catch((err: unknown) => log.warn({ err }, 'progress not saved'));
        },
      });
      await ctx.store.setStatus(jobId, 'D');
      await releaseWaitingModels(ctx, jobId, true);
      log.info({ ms: Date.now() - started, skipped: state.skippedCount, imagesPerSecond: state.imagesPerSecond }, 'dataset build done');
      return { entries: state.createDbTasks.map((t) => [t.stage, t.entries]), skipped: state.skippedCount };
    } catch (err) {
      if (isAppError(err) && err.code === Errors.JOB_ABORTED.code) {
        await ctx.store.setStatus(jobId, 'A', { code: err.code, message: err.message });
        await releaseWaitingModels(ctx, jobId, false);
        log.info('dataset build aborted');
        return { aborted: true };
      }
      const failure = isAppError(err) ? { code: err.code, message: err.message } : { code: 'INTERNAL', message: 'the build failed unexpectedly; the worker log has the details' };
      await ctx.store.setStatus(jobId, 'E', failure);
      await releaseWaitingModels(ctx, jobId, false);
      log.error({ err }, 'dataset build failed');
      throw err;
    } finally {
      ctx.running.delete(jobId);
    }
  };
}
