/** The start and end every processor shares: skip deleted or aborted jobs, track, record the outcome. */
import { DelayedError, type Job } from 'bullmq';
import { Errors, isAppError, isRunningStatus, type JobNotDone, type JobRecord, type QueueRef } from '@digits-ts/contracts';
import { isAbortRequested, MAX_STALLS } from '@digits-ts/queue';
import type { WorkerContext } from '../context.ts';
import { releaseWaitingModels } from '../training/release-waiting.ts';

export interface StartedJob {
  record: JobRecord;
  log: WorkerContext['log'];
  /** Aborted by a user's abort request, or by the worker's shutdown (reason WORKER_SHUTDOWN). */
  signal: AbortSignal;
  /** Forget the job in `ctx.running`; call in `finally`. */
  release(): void;
}

/**
 * Marks job `jobId` Running and registers its abort controller. Returns a result instead when
 * there is nothing to do: the record was deleted, or an abort arrived before the worker did.
 */
export async function startJob(ctx: WorkerContext, job: Job, jobId: string): Promise<StartedJob | { result: JobNotDone }> {
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

/** True when `signal` fired because this worker is stopping, not because a user aborted. */
export function stoppedByShutdown(signal: AbortSignal): boolean {
  return signal.aborted && isAppError(signal.reason) && signal.reason.code === Errors.WORKER_SHUTDOWN.code;
}

/**
 * The worker is stopping: the job goes back to its queue at once (BullMQ's delayed set, due
 * now) for the next worker, and its record says Waiting until one starts it. Always throws
 * BullMQ's DelayedError, which tells the runner the job was moved, not failed.
 */
export async function requeueForShutdown(ctx: WorkerContext, job: Job, token: string | undefined, jobId: string, log: WorkerContext['log']): Promise<never> {
  await ctx.store.setStatus(jobId, 'W');
  if (!token) throw Errors.INTERNAL('no queue lock token to requeue the job with');
  await job.moveToDelayed(Date.now(), token);
  log.info('worker stopping: job back in its queue');
  throw new DelayedError();
}

/** A job the queue failed after MAX_STALLS stalls (its workers kept dying) is an Error, not Running forever. */
export async function failStalledOut(ctx: WorkerContext, queue: QueueRef, queueJobId: string): Promise<void> {
  const job = await ctx.producer.queue(queue).getJob(queueJobId);
  if (!job || (await job.getState()) !== 'failed') return;
  const jobId = (job.data as { jobId?: unknown }).jobId;
  const record = typeof jobId === 'string' ? await ctx.store.get(jobId) : null;
  if (!record || !isRunningStatus(record.status)) return;
  await ctx.store.setStatus(record.id, 'E', { code: Errors.JOB_STALLED.code, message: `its worker stopped ${MAX_STALLS + 1} times while running it` });
}

/** The disk under JOBS_DIR refused a write: say so, the user (or admin) can act on it. */
const STORAGE_CODES: Record<string, string> = {
  ENOSPC: 'no space left on the disk holding JOBS_DIR',
  EDQUOT: 'the disk quota of JOBS_DIR is used up',
  EROFS: 'JOBS_DIR is on a read-only file system',
  EACCES: 'JOBS_DIR is not writable by the worker',
  EPERM: 'JOBS_DIR is not writable by the worker',
  MDB_MAP_FULL: 'the database outgrew its map size',
};

function storageFailure(err: unknown, what: string): { code: string; message: string } | null {
  const code = (err as { code?: unknown } | null)?.code;
  const text = err instanceof Error ? err.message : '';
  const known = typeof code === 'string' ? STORAGE_CODES[code] : Object.entries(STORAGE_CODES).find(([c]) => text.includes(c))?.[1];
  return known ? { code: Errors.STORAGE_FAILED.code, message: `the ${what} could not write its files: ${known}` } : null;
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
  const failure = isAppError(err) ? { code: err.code, message: err.message } : storageFailure(err, what) ?? { code: 'INTERNAL', message: `the ${what} failed unexpectedly; the worker log has the details` };
  await ctx.store.setStatus(jobId, 'E', failure);
  log.error({ err }, `${what} failed`);
  return false;
}

/**
 * Runs a dataset build job: start, `build`, then Done — or Aborted/Error — and in every case
 * releases the models waiting for this dataset (they start, or end with it).
 */
export async function runDatasetBuild<T>(ctx: WorkerContext, job: Job, token: string | undefined, jobId: string, what: string, build: (started: StartedJob) => Promise<T>): Promise<T | JobNotDone> {
  const started = await startJob(ctx, job, jobId);
  if ('result' in started) return started.result;
  try {
    const result = await build(started);
    await ctx.store.setStatus(jobId, 'D');
    await releaseWaitingModels(ctx, jobId, true);
    return result;
  } catch (err) {
    // a build starts over in its staging folder: nothing was published yet
    if (stoppedByShutdown(started.signal)) return await requeueForShutdown(ctx, job, token, jobId, started.log);
    const aborted = await recordFailure(ctx, jobId, err, started.log, what);
    await releaseWaitingModels(ctx, jobId, false);
    if (aborted) return { aborted: true };
    throw err;
  } finally {
    started.release();
  }
}
