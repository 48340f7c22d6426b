/**
 * Waits on a job through the notices the job store publishes on every record write and progress
 * tick (JobChangeHub): the condition is checked once at the start and again after each notice,
 * never on a clock, and a deadline bounds the wait. Notices are best effort, so a wait that
 * misses its condition re-checks once more before it gives up.
 */
import { JobChangeHub } from '@digits-ts/queue';

export interface JobWaitSource { redisUrl: string; prefix: string }

const hubs = new Map<string, JobChangeHub>();

/** One subscriber per Redis and prefix for the whole test file, closed when the process ends. */
function hubFor(source: JobWaitSource): JobChangeHub {
  const key = `${source.redisUrl} ${source.prefix}`;
  let hub = hubs.get(key);
  if (!hub) hubs.set(key, (hub = new JobChangeHub(source.redisUrl, source.prefix)));
  return hub;
}

/** Closes the subscribers of `source` (a stack's teardown calls it before dropping its keys). */
export async function closeJobWaits(source: JobWaitSource): Promise<void> {
  const key = `${source.redisUrl} ${source.prefix}`;
  const hub = hubs.get(key);
  hubs.delete(key);
  await hub?.close();
}

/**
 * Resolves with `probe()`'s first defined answer, probing at the start and after each change
 * notice of job `id`; rejects after `timeoutMs` with `describe()` of the last state.
 */
export async function untilJob<T>(source: JobWaitSource, id: string, probe: () => Promise<T | undefined>, options: { timeoutMs: number; what: string; describe?: () => string }): Promise<T> {
  const hub = hubFor(source);
  let wake: () => void = () => {};
  let changed = true;
  const stop = await hub.listen(id, () => { changed = true; wake(); });
  let timer: NodeJS.Timeout | undefined;
  let timedOut = false;
  const deadline = new Promise<void>((resolve) => { timer = setTimeout(() => { timedOut = true; resolve(); }, options.timeoutMs); });
  try {
    for (;;) {
      // a notice that lands while probing sets `changed` again, so none is lost between probes
      changed = false;
      const answer = await probe();
      if (answer !== undefined) return answer;
      if (timedOut) throw new Error(`job ${id}: no ${options.what} after ${options.timeoutMs} ms${options.describe ? `: ${options.describe()}` : ''}`);
      if (!changed) await Promise.race([new Promise<void>((resolve) => { wake = resolve; }), deadline]);
    }
  } finally {
    clearTimeout(timer);
    wake = () => {};
    stop();
  }
}
