/**
 * Runs a BullMQ worker for one queue over a map of processors. Non-retryable AppErrors and
 * invalid payloads fail the job at once (UnrecoverableError) with `[CODE] message` as reason.
 */
import { UnrecoverableError, Worker, type Job } from 'bullmq';
import { isAppError, type QueueRef } from '@digits-ts/contracts';
import type { Redis } from './redis.ts';

export type Processor = (job: Job) => Promise<unknown>;

export interface RunnerOptions {
  connection: Redis;
  prefix: string;
  concurrency: number;
  /** Lock renewal; CPU-heavy processors must yield more often than this (milliseconds). */
  lockDuration?: number;
}

/** The failure reason stored with a job: the code first, so the gateway can show it. */
export function failureReason(err: unknown): string {
  if (isAppError(err)) return `[${err.code}] ${err.message}`;
  return `[INTERNAL] ${err instanceof Error ? err.message : String(err)}`;
}

/** Starts a worker on `queue` dispatching by job name to `processors`. */
export function startQueueWorker(queue: QueueRef, processors: ReadonlyMap<string, Processor>, options: RunnerOptions): Worker {
  return new Worker(queue, async (job) => {
    const processor = processors.get(job.name);
    if (!processor) throw new UnrecoverableError(`[INVALID_PAYLOAD] no processor for job name ${job.name}`);
    try {
      return await processor(job);
    } catch (err) {
      if (isAppError(err) && !err.retryable) throw new UnrecoverableError(failureReason(err));
      throw new Error(failureReason(err), { cause: err });
    }
  }, {
    connection: options.connection,
    prefix: options.prefix,
    concurrency: options.concurrency,
    lockDuration: options.lockDuration ?? 60_000,
    autorun: true,
  });
}
