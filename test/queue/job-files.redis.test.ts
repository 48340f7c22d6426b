// job.json files (job-files.ts) and JobStore.rebuildFromDisk: what a gateway finds in JOBS_DIR
// after Redis was emptied, against a real Redis and a temp JOBS_DIR; which job folder holds a path.
import fs from 'node:fs/promises';
import path from 'node:path';
import t from 'tap';
import { Redis } from 'ioredis';
import type { JobRecord } from '@digits-ts/contracts';
import { JOB_FILE, JobStore, jobFolderOf, readJobFile, storeKey, writeJobFile } from '@digits-ts/queue';
import { dropPrefix, redisUrl, testPrefix } from '../helpers/redis.ts';
import { createJob, diskRecord, makeRecord, setup } from './job-store-fixtures.ts';

t.test('rebuildFromDisk restores every valid job and skips broken folders', async (t) => {
  const s = await setup(t);
  const { store, redis, prefix } = s;
  const jobs: JobRecord[] = [];
  for (const created of [10, 30, 20]) jobs.push(await createJob(store, { created, statusHistory: [['I', created]] }));
  const updated = await store.update(jobs[0]!.id, (r) => ({ ...r, notes: 'edited', progress: 0.5 }));
  jobs[0] = updated!;

  const corrupt = await store.reserveId();
  await fs.writeFile(path.join(store.jobDir(corrupt), JOB_FILE), '{"v": 1, "id": ');
  const invalid = await store.reserveId();
  await fs.writeFile(path.join(store.jobDir(invalid), JOB_FILE), JSON.stringify({ ...makeRecord(invalid), status: 'Z' }));
  const mismatch = await store.reserveId();
  await fs.writeFile(path.join(store.jobDir(mismatch), JOB_FILE), JSON.stringify(makeRecord(jobs[1]!.id)));
  const empty = await store.reserveId();
  await fs.mkdir(path.join(store.jobsDir, 'not-a-job'));
  await fs.writeFile(path.join(store.jobsDir, 'not-a-job', JOB_FILE), JSON.stringify(makeRecord('20240102-030405-eeee')));
  await fs.writeFile(path.join(store.jobsDir, 'stray.txt'), 'x');

  await dropPrefix(s.url, prefix);
  t.equal(await store.count(), 0, 'Redis emptied');
  t.same(await store.list(), []);

  const loaded = await store.rebuildFromDisk();
  const byId = (a: JobRecord, b: JobRecord) => a.id.localeCompare(b.id);
  t.same([...loaded].sort(byId), [...jobs].sort(byId), 'exactly the valid jobs, as on disk');
  t.equal(await store.count(), 3);
  t.same((await store.list()).map((r) => r.created), [30, 20, 10], 'index rebuilt, newest first');
  for (const job of jobs) t.same(await store.get(job.id), job, `get ${job.id}`);
  for (const skipped of [corrupt, invalid, mismatch, empty]) t.equal(await store.get(skipped), null, `${skipped} skipped`);
  for (const job of jobs) t.equal(await redis.sismember(storeKey(prefix, 'ids'), job.id), 1, `${job.id} reserved again`);

  const again = await store.update(jobs[0]!.id, (r) => ({ ...r, notes: 'after rebuild' }));
  t.equal(again?.rev, jobs[0]!.rev + 1, 'revisions continue from the file');
  t.same(await diskRecord(store, jobs[0]!.id), again);

  t.test('rebuilding over a live index keeps the newer Redis copy', async (t) => {
    await store.setProgress(jobs[1]!.id, 0.9);
    await store.rebuildFromDisk();
    t.equal(await store.count(), 3, 'no duplicates');
    t.equal((await store.get(jobs[1]!.id))?.progress, 0.9);
    t.equal((await store.get(jobs[0]!.id))?.notes, 'after rebuild');
  });
});

t.test('rebuildFromDisk without a JOBS_DIR', async (t) => {
  const url = await redisUrl();
  const prefix = testPrefix();
  const redis = new Redis(url);
  const store = new JobStore(redis, prefix, path.join(t.testdir(), 'missing'));
  t.teardown(async () => { await store.close(); await redis.quit(); await dropPrefix(url, prefix); });
  t.same(await store.rebuildFromDisk(), []);
});

t.test('job files', async (t) => {
  const dir = t.testdir();
  const id = '20240102-030405-abcd';
  t.equal(await readJobFile(dir), null, 'missing → null');
  const v3 = makeRecord(id, { rev: 3, notes: 'three' });
  await writeJobFile(dir, v3);
  t.same(await readJobFile(dir), v3);
  await writeJobFile(dir, makeRecord(id, { rev: 2, notes: 'older' }));
  t.equal((await readJobFile(dir))?.notes, 'three', 'an older revision never replaces a newer one');
  await writeJobFile(dir, makeRecord(id, { rev: 3, notes: 'same rev' }));
  t.equal((await readJobFile(dir))?.notes, 'same rev', 'the same revision may be rewritten');
  await writeJobFile(dir, makeRecord(id, { rev: 4, notes: 'four' }));
  t.equal((await readJobFile(dir))?.notes, 'four');
  t.same((await fs.readdir(dir)).sort(), [JOB_FILE], 'only job.json remains');

  const table: Array<[string, string]> = [
    ['empty file', ''],
    ['truncated JSON', '{"v":1,'],
    ['not an object', '"x"'],
    ['wrong version', JSON.stringify({ ...v3, v: 2 })],
    ['bad id', JSON.stringify({ ...v3, id: '../x' })],
    ['progress out of range', JSON.stringify({ ...v3, progress: 2 })],
  ];
  for (const [why, text] of table) {
    await fs.writeFile(path.join(dir, JOB_FILE), text);
    t.equal(await readJobFile(dir), null, `${why} → null`);
  }
  await writeJobFile(dir, v3);
  t.same(await readJobFile(dir), v3, 'an unreadable file is replaced by the next write');
});

t.test('jobFolderOf: the job folder a path lies strictly below', async (t) => {
  const JOBS = '/jobs';
  const table: Array<[string, string | null, string]> = [
    ['/jobs/20240101-000000-abcd/train_db', '20240101-000000-abcd', 'a DB of a job'],
    ['/jobs/20240101-000000-abcd/val_db/features/', '20240101-000000-abcd', 'deeper, trailing slash'],
    ['/jobs/20240101-000000-abcd', null, 'the job folder itself'],
    ['/jobs', null, 'JOBS_DIR'],
    ['/jobs/', null, 'JOBS_DIR with a trailing slash'],
    ['/jobs/a/../b/x', 'b', '.. between job folders is normalised'],
    ['/jobs/a/../../etc/x', null, '.. out of JOBS_DIR'],
    ['/jobs2/a/b', null, 'a sibling with JOBS_DIR as prefix'],
    ['/jobs/..a/b', '..a', 'a name beginning with ".." stays inside'],
    ['/etc/passwd', null, 'elsewhere'],
  ];
  for (const [target, expected, why] of table) t.equal(jobFolderOf(target, JOBS), expected, `${why}: ${target}`);
});

t.test('holdsDataset: a path below a dataset job\'s folder, not a model\'s or a missing job\'s', async (t) => {
  const { store } = await setup(t);
  const dataset = await createJob(store, { kind: 'dataset' });
  const model = await createJob(store, { kind: 'model' });
  t.ok(await store.holdsDataset(path.join(store.jobDir(dataset.id), 'train_db')), 'a dataset\'s DB');
  t.notOk(await store.holdsDataset(store.jobDir(dataset.id)), 'the dataset folder itself');
  t.notOk(await store.holdsDataset(path.join(store.jobDir(model.id), 'snapshot_1')), 'a model\'s files');
  t.notOk(await store.holdsDataset(path.join(store.jobsDir, '20240102-030405-ffff', 'train_db')), 'no such job');
  t.ok(await store.holdsDataset(path.join('/elsewhere', dataset.id, 'train_db'), '/elsewhere'), 'against the JOBS_DIR the caller names');
});
