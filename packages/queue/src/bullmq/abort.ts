/**
 * Abort requests travel on a Redis channel (immediate) and as a short-lived key (so a worker
 * that picks the job up just after the request still sees it).
 */
import { storeKey, type Redis } from '../redis.ts';

const ABORT_FLAG_TTL_S = 3600;

/** Asks whichever worker runs job `jobId` to stop. */
export async function requestAbort(redis: Redis, prefix: string, jobId: string): Promise<void> {
  await redis.set(storeKey(prefix, 'abort', jobId), '1', 'EX', ABORT_FLAG_TTL_S);
  await redis.publish(storeKey(prefix, 'abort'), jobId);
}

/** True when an abort was requested for `jobId`. */
export async function isAbortRequested(redis: Redis, prefix: string, jobId: string): Promise<boolean> {
  return (await redis.exists(storeKey(prefix, 'abort', jobId))) === 1;
}

/** Forgets an earlier abort request, so a resumed job is not stopped by it again. */
export async function clearAbort(redis: Redis, prefix: string, jobId: string): Promise<void> {
  await redis.del(storeKey(prefix, 'abort', jobId));
}

/** Calls `onAbort(jobId)` for every abort request. `subscriber` must be a dedicated connection. */
export async function subscribeAborts(subscriber: Redis, prefix: string, onAbort: (jobId: string) => void): Promise<void> {
  const channel = storeKey(prefix, 'abort');
  subscriber.on('message', (ch: string, jobId: string) => {
    if (ch === channel) onAbort(jobId);
  });
  await subscriber.subscribe(channel);
}
