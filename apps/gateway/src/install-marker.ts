/**
 * Which DIGITS-TS install a Redis key prefix belongs to. Every key of an install (BullMQ queues,
 * the job store, the worker registry) lives under its QUEUE_PREFIX; the gateway records at start
 * which jobs folder it serves in `<prefix>:install`, so `npm start` can refuse to run a second
 * install's workers on queues whose jobs live in another folder (they would build and train
 * into the wrong JOBS_DIR). Gateways and workers of one install on several hosts share the
 * jobs folder, so they match.
 */
import os from 'node:os';
import path from 'node:path';
import type { Redis } from '@digits-ts/queue';

/** What the marker says: the jobs folder, and where and when its gateway last started. */
export interface InstallMarker {
  jobsDir: string;
  host: string;
  started: string;
}

export const installKey = (prefix: string) => `${prefix}:install`;

/** Records this install as the prefix's owner. */
export async function writeInstallMarker(redis: Redis, prefix: string, jobsDir: string): Promise<void> {
  const marker: InstallMarker = { jobsDir: path.resolve(jobsDir), host: os.hostname(), started: new Date().toISOString() };
  await redis.set(installKey(prefix), JSON.stringify(marker));
}

async function readInstallMarker(redis: Redis, prefix: string): Promise<InstallMarker | null> {
  const text = await redis.get(installKey(prefix));
  if (text === null) return null;
  try {
    return JSON.parse(text) as InstallMarker;
  } catch {
    return { jobsDir: text, host: '?', started: '?' };
  }
}

/** True when any key lives under the prefix. */
async function prefixInUse(redis: Redis, prefix: string): Promise<boolean> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    if (keys.length > 0) return true;
    cursor = next;
  } while (cursor !== '0');
  return false;
}

/**
 * Who else holds the prefix: null when nothing is there or the marker names `jobsDir`, the
 * other install's marker, or `unmarked` for keys without a marker (an install too old to write
 * one, or whose gateway never started).
 */
export async function otherInstall(redis: Redis, prefix: string, jobsDir: string): Promise<InstallMarker | 'unmarked' | null> {
  const marker = await readInstallMarker(redis, prefix);
  if (marker) return marker.jobsDir === path.resolve(jobsDir) ? null : marker;
  return (await prefixInUse(redis, prefix)) ? 'unmarked' : null;
}
