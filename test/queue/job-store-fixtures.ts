/**
 * Fixtures of the JobStore tests: a store on its own Redis prefix and temp JOBS_DIR (a second one
 * sharing them), valid records built by hand, and readers of what a job leaves on disk.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Test } from 'tap';
import { Redis } from 'ioredis';
import { compileChecker, JobRecord } from '@digits-ts/contracts';
import { JOB_FILE, JobStore } from '@digits-ts/queue';
import { dropPrefix, redisUrl, testPrefix } from '../helpers/redis.ts';

export const recordChecker = compileChecker(JobRecord);
export const ID_PATTERN = /^\d{8}-\d{6}-[0-9a-f]{4}$/;
/** 2024-01-02 03:04:05 server local time. */
export const FIXED = new Date(2024, 0, 2, 3, 4, 5);
export const FIXED_STAMP = '20240102-030405';

export interface Setup { url: string; prefix: string; dir: string; redis: Redis; store: JobStore }

/** A store on its own connection, prefix and temp JOBS_DIR, all torn down with `t`. */
export async function setup(t: Test): Promise<Setup> {
  const url = await redisUrl();
  const prefix = testPrefix();
  const dir = t.testdir();
  const redis = new Redis(url);
  const store = new JobStore(redis, prefix, path.join(dir, 'jobs'));
  t.teardown(async () => {
    await store.close();
    await redis.quit();
    await dropPrefix(url, prefix);
  });
  return { url, prefix, dir, redis, store };
}

/** A second store sharing the first one's Redis keys and folder, on a separate connection. */
export function secondStore(t: Test, s: Setup): JobStore {
  const redis = new Redis(s.url);
  const store = new JobStore(redis, s.prefix, s.store.jobsDir);
  t.teardown(async () => {
    await store.close();
    await redis.quit();
  });
  return store;
}

/** A valid dataset record built by hand. */
export function makeRecord(id: string, overrides: Partial<JobRecord> = {}): JobRecord {
  const created = overrides.created ?? 1_704_164_645.25;
  const record: JobRecord = {
    v: 1,
    rev: 0,
    id,
    kind: 'dataset',
    type: 'Image Classification Dataset',
    name: `job ${id}`,
    group: '',
    username: 'alice',
    notes: null,
    created,
    status: 'I',
    statusHistory: [['I', created]],
    progress: 0,
    error: null,
    form: { 'form.dataset_name.data': `job ${id}`, 'form.resize_width.data': 256 },
    queueJob: null,
    datasetId: null,
    dataset: {
      parseFolderTasks: [{ name: 'Parse Folder (train)', label_count: null, train_count: null, val_count: null, test_count: null }],
      createDbTasks: [],
      labelCount: null,
      skippedCount: 0,
      skipped: [],
      imagesPerSecond: null,
    },
    params: { v: 1, options: { width: 256 } },
    ...overrides,
  };
  return record;
}

/** Reserves an id and stores a record for it. */
export async function createJob(store: JobStore, overrides: Partial<JobRecord> = {}, now?: Date): Promise<JobRecord> {
  const id = await store.reserveId(now);
  const record = makeRecord(id, overrides);
  await store.create(record);
  return record;
}

export async function diskRecord(store: JobStore, id: string): Promise<unknown> {
  return JSON.parse(await fs.readFile(path.join(store.jobDir(id), JOB_FILE), 'utf8'));
}

export async function leftovers(store: JobStore, id: string): Promise<string[]> {
  return (await fs.readdir(store.jobDir(id))).filter((name) => name !== JOB_FILE);
}
