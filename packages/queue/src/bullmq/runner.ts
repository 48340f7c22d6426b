/**
 * Runs a BullMQ worker for one queue over a map of processors. Non-retryable AppErrors and
 * invalid payloads fail the job at once (UnrecoverableError) with `[CODE] message` as reason.
 */
import { DelayedError, UnrecoverableError, Worker, type Job } from 'bullmq';
import { isAppError, type JobName, type QueueRef, type ResultOf } from '@digits-ts/contracts';
import type { Redis } from '../redis.ts';

/** `token` is the worker's lock on `job`, needed to move it back to its queue (worker shutdown). */
export type Processor = (job: Job, token?: string) => Promise<unknown>;
/** The processor of job `N`: it answers the catalogue's result for that job, checked when typechecking. */
export type JobProcessor<N extends JobName> = (job: Job, token?: string) => Promise<ResultOf<N>>;

export interface RunnerOptions {
  connection: Redis;
  prefix: string;
  concurrency: number;
  /**
   * A job whose worker stops renewing its lock for this long (a kill -9, a lost host) is
   * stalled; CPU-heavy processors must yield more often than this (milliseconds).
   */
  lockDuration?: number;
  /** How often this worker looks for stalled jobs and puts them back in the queue (milliseconds). */
  stalledInterval?: number;
}

/** A job that stalls (kills its worker) this many times is failed rather than retried again. */
export const MAX_STALLS = 3;

/** The failure reason stored with a job: the code first, so the gateway can show it. */
export function failureReason(err: unknown): string {
  if (isAppError(err)) return `[${err.code}] ${err.message}`;
  return `[INTERNAL] ${err instanceof Error ? err.message : String(err)}`;
}

/** Starts a worker on `queue` dispatching by job name to `processors`. */
export function startQueueWorker(queue: QueueRef, processors: ReadonlyMap<string, Processor>, options: RunnerOptions): Worker {
  return new Worker(queue, async (job, token) => {
    const processor = processors.get(job.name);
    if (!processor) throw new UnrecoverableError(`[INVALID_PAYLOAD] no processor for job name ${job.name}`);
    try {
      return await processor(job, token);
    } catch (err) {
      // the processor moved the job back to its queue itself
      if (err instanceof DelayedError) throw err;
      if (isAppError(err) && !err.retryable) throw new UnrecoverableError(failureReason(err));
      throw new Error(failureReason(err), { cause: err });
    }
  }, {
    connection: options.connection,
    prefix: options.prefix,
    concurrency: options.concurrency,
    lockDuration: options.lockDuration ?? 60_000,
    ...(options.stalledInterval ? { stalledInterval: options.stalledInterval } : {}),
    maxStalledCount: MAX_STALLS,
    autorun: true,
  });
}
