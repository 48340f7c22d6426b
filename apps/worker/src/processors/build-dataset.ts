/** `build-dataset`: turns a dataset job's form into LMDB databases (contract §6). */
import type { Job } from 'bullmq';
import { payloadChecker, type DatasetState, type ResultOf } from '@digits-ts/contracts';
import { createRandom } from '@digits-ts/dataset';
import { buildDataset } from '../dataset-build/build.ts';
import type { WorkerContext } from '../context.ts';
import { datasetImagesPerSecond } from '../metrics.ts';
import { runDatasetBuild } from './job-lifecycle.ts';

export const name = 'build-dataset';
/** Live progress is written at most this often (milliseconds). */
const PROGRESS_EVERY_MS = 500;

/** Runs one build; the job record's status follows it (Running → Done | Aborted | Error). */
export function createBuildDatasetProcessor(ctx: WorkerContext) {
  return async function process(job: Job, token?: string): Promise<ResultOf<'build-dataset'>> {
    const payload = payloadChecker('build-dataset').parse(job.data, 'build-dataset payload');
    const { jobId } = payload;
    return runDatasetBuild(ctx, job, token, jobId, 'dataset build', async ({ log, signal }) => {
      log.info('dataset build started');
      const startedAt = Date.now();
      let lastProgress = 0;
      const state = await buildDataset({
        jobDir: ctx.store.jobDir(jobId), options: payload.options, pool: ctx.imagePool(), maxPixels: ctx.config.imageMaxPixels,
        roots: ctx.roots, random: createRandom(Date.now() >>> 0), signal,
        onState: async (dataset: DatasetState) => { await ctx.store.update(jobId, (r) => ({ ...r, dataset })); },
        onProgress: (fraction) => {
          if (Date.now() - lastProgress < PROGRESS_EVERY_MS) return;
          lastProgress = Date.now();
          void ctx.store.setProgress(jobId, fraction).catch((err: unknown) => log.warn({ err }, 'progress not saved'));
        },
      });
      log.info({ ms: Date.now() - startedAt, skipped: state.skippedCount, imagesPerSecond: state.imagesPerSecond }, 'dataset build done');
      if (state.imagesPerSecond) datasetImagesPerSecond.set(state.imagesPerSecond);
      return { entries: state.createDbTasks.map((t) => [t.stage, t.entries]), skipped: state.skippedCount };
    });
  };
}
