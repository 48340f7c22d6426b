/** `build-generic-dataset`: an extension's entries into feature/label LMDBs (contract §7.2). */
import type { Job } from 'bullmq';
import { payloadChecker, type ResultOf } from '@digits-ts/contracts';
import { createRandom } from '@digits-ts/dataset';
import type { WorkerContext } from '../context.ts';
import { buildGenericDataset } from '../generic-build/build-generic.ts';
import { runDatasetBuild } from './job-lifecycle.ts';

export const name = 'build-generic-dataset';

export function createBuildGenericDatasetProcessor(ctx: WorkerContext) {
  return async function process(job: Job, token?: string): Promise<ResultOf<'build-generic-dataset'>> {
    const { jobId, options } = payloadChecker('build-generic-dataset').parse(job.data, 'build-generic-dataset payload');
    return runDatasetBuild(ctx, job, token, jobId, 'generic dataset build', async ({ log, signal }) => {
      const state = await buildGenericDataset({
        jobDir: ctx.store.jobDir(jobId), options, random: createRandom(Date.now() >>> 0), signal,
        roots: ctx.roots, maxPixels: ctx.config.imageMaxPixels,
        onState: async (generic) => {
          const done = generic.createDbTasks.filter((t) => t.entry_count !== null).length;
          await ctx.store.update(jobId, (r) => ({ ...r, generic, progress: done / generic.createDbTasks.length }));
        },
      });
      log.info({ entries: state.createDbTasks.map((t) => t.entry_count) }, 'generic dataset build done');
      return { entries: state.createDbTasks.map((t) => [t.stage, t.entry_count]) };
    });
  };
}
