/** The start and end every processor shares: skip deleted or aborted jobs, track, record the outcome. */
import type { Job } from 'bullmq';
import { Errors, isAppError, type JobRecord } from '@digits-ts/contracts';
import { isAbortRequested } from '@digits-ts/queue';
import type { WorkerContext } from '../context.ts';
import { releaseWaitingModels } from '../training/release-waiting.ts';

export interface StartedJob {
  record: JobRecord;
  log: WorkerContext['log'];
  /** Aborted by a user's abort request or the worker's shutdown. */
  signal: AbortSignal;
  /** Forget the job in `ctx.running`; call in `finally`. */
  release(): void;
}

/**
 * Marks job `jobId` Running and registers its abort controller. Returns a result instead when
 * there is nothing to do: the record was deleted, or an abort arrived before the worker did.
 */
export async function startJob(ctx: WorkerContext, job: Job, jobId: string): Promise<StartedJob | { result: unknown }> {
  const log = ctx.log.child({ queue: job.queueName, job: job.name, jobId, attempt: job.attemptsMade });
  const record = await ctx.store.get(jobId);
  if (!record) return { result: { skipped: 'job deleted' } };
  if (record.status === 'A' || (await isAbortRequested(ctx.redis, ctx.config.redis.prefix, jobId))) {
    await ctx.store.setStatus(jobId, 'A', { code: 'JOB_ABORTED', message: 'aborted by user' });
    return { result: { aborted: true } };
  }
  const controller = new AbortController();
  ctx.running.set(jobId, controller);
  await ctx.store.setStatus(jobId, 'R');
  return { record, log, signal: controller.signal, release: () => ctx.running.delete(jobId) };
}

/**
 * Records why a job stopped: Aborted for an abort, else Error with the AppError's code (or a
 * generic message; the log has the details). Returns true for an abort, which is no failure.
 */
export async function recordFailure(ctx: WorkerContext, jobId: string, err: unknown, log: WorkerContext['log'], what: string): Promise<boolean> {
  if (isAppError(err) && err.code === Errors.JOB_ABORTED.code) {
    await ctx.store.setStatus(jobId, 'A', { code: err.code, message: err.message });
    log.info(`${what} aborted`);
    return true;
  }
  const failure = isAppError(err) ? { code: err.code, message: err.message } : { code: 'INTERNAL', message: `the ${what} failed unexpectedly; the worker log has the details` };
  await ctx.store.setStatus(jobId, 'E', failure);
  log.error({ err }, `${what} failed`);
  return false;
}

/**
 * Runs a dataset build job: start, `build`, then Done — or Aborted/Error — and in every case
 * releases the models waiting for this dataset (they start, or end with it).
 */
export async function runDatasetBuild<T>(ctx: WorkerContext, job: Job, jobId: string, what: string, build: (started: StartedJob) => Promise<T>): Promise<T | unknown> {
  const started = await startJob(ctx, job, jobId);
  if ('result' in started) return started.result;
  try {
    const result = await build(started);
    await ctx.store.setStatus(jobId, 'D');
    await releaseWaitingModels(ctx, jobId, true);
    return result;
  } catch (err) {
    const aborted = await recordFailure(ctx, jobId, err, started.log, what);
    await releaseWaitingModels(ctx, jobId, false);
    if (aborted) return { aborted: true };
    throw err;
  } finally {
    started.release();
  }
}
