// JobStore (job-store.ts) and job.json files (job-files.ts) against a real Redis and a temp JOBS_DIR.
import fs from 'node:fs/promises';
import path from 'node:path';
import t from 'tap';
import { Redis } from 'ioredis';
import { compileChecker, JobRecord, type StatusCode } from '@digits-ts/contracts';
import { JOB_FILE, JobStore, readJobFile, storeKey, writeJobFile } from '@digits-ts/queue';
import { dropPrefix, redisUrl, testPrefix } from '../helpers/redis.ts';

type Test = Parameters<Parameters<typeof t.test>[0]>[0];

const recordChecker = compileChecker(JobRecord);
const ID_PATTERN = /^\d{8}-\d{6}-[0-9a-f]{4}$/;
/** 2024-01-02 03:04:05 server local time. */
const FIXED = new Date(2024, 0, 2, 3, 4, 5);
const FIXED_STAMP = '20240102-030405';

interface Setup { url: string; prefix: string; dir: string; redis: Redis; store: JobStore }

/** A store on its own connection, prefix and temp JOBS_DIR, all torn down with `t`. */
async function setup(t: Test): Promise<Setup> {
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
function secondStore(t: Test, s: Setup): JobStore {
  const redis = new Redis(s.url);
  const store = new JobStore(redis, s.prefix, s.store.jobsDir);
  t.teardown(async () => {
    await store.close();
    await redis.quit();
  });
  return store;
}

/** A valid dataset record built by hand. */
function makeRecord(id: string, overrides: Partial<JobRecord> = {}): JobRecord {
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
async function createJob(store: JobStore, overrides: Partial<JobRecord> = {}, now?: Date): Promise<JobRecord> {
  const id = await store.reserveId(now);
  const record = makeRecord(id, overrides);
  await store.create(record);
  return record;
}

async function diskRecord(store: JobStore, id: string): Promise<unknown> {
  return JSON.parse(await fs.readFile(path.join(store.jobDir(id), JOB_FILE), 'utf8'));
}

async function leftovers(store: JobStore, id: string): Promise<string[]> {
  return (await fs.readdir(store.jobDir(id))).filter((name) => name !== JOB_FILE);
}

t.test('fixtures are valid JobRecords', async (t) => {
  t.ok(recordChecker.check(makeRecord('20240102-030405-abcd')));
  t.ok(recordChecker.check(makeRecord('20240102-030405-0000', { kind: 'model', dataset: null, datasetId: '20240102-030405-abcd', status: 'E', error: { code: 'X', message: 'y' } })));
});

t.test('reserveId', async (t) => {
  const { store, redis, prefix } = await setup(t);
  t.test('format: YYYYMMDD-HHMMSS (local time) and 4 lowercase hex digits', async (t) => {
    const id = await store.reserveId(FIXED);
    t.match(id, ID_PATTERN);
    t.equal(id.slice(0, 15), FIXED_STAMP);
    const now = await store.reserveId();
    t.match(now, ID_PATTERN);
    t.ok((await fs.stat(store.jobDir(now))).isDirectory(), 'its folder exists');
  });

  t.test('300 ids in the same second are all different, each with its folder', async (t) => {
    const ids = await Promise.all(Array.from({ length: 300 }, () => store.reserveId(FIXED)));
    t.equal(new Set(ids).size, 300, 'all unique');
    t.ok(ids.every((id) => id.startsWith(`${FIXED_STAMP}-`) && ID_PATTERN.test(id)), 'all well-formed for the fixed date');
    const folders = new Set(await fs.readdir(store.jobsDir));
    t.ok(ids.every((id) => folders.has(id)), 'every folder exists');
    t.ok(await redis.sismember(storeKey(prefix, 'ids'), ids[0]!), 'ids are recorded');
  });

  t.test('an id is never handed out twice, not even after its job is removed or its folder exists', async (t) => {
    // occupy every id of one second except three: one in the set, one with a folder already on disk
    const stamp = '20230304-050607';
    const at = new Date(2023, 2, 4, 5, 6, 7);
    const all = Array.from({ length: 65536 }, (_, n) => `${stamp}-${n.toString(16).padStart(4, '0')}`);
    const free = new Set([all[0x1234]!, all[0xbeef]!, all[0xffff]!]);
    const takenOnDisk = all[0xffff]!;
    await redis.sadd(storeKey(prefix, 'ids'), ...all.filter((id) => !free.has(id)));
    await fs.mkdir(path.join(store.jobsDir, takenOnDisk));
    const first = await store.reserveId(at);
    await store.create(makeRecord(first));
    await store.remove(first);
    const second = await store.reserveId(at);
    t.same([first, second].sort(), [all[0x1234], all[0xbeef]], 'only the two truly free ids come out');
    t.not(first, second, 'a removed job\'s id is not reused');
  });
});

t.test('create, get, list, count', async (t) => {
  const { store } = await setup(t);
  t.equal(await store.get('20240102-030405-abcd'), null, 'unknown id → null');
  t.same(await store.list(), []);
  t.equal(await store.count(), 0);

  const records: JobRecord[] = [];
  // created out of order: list() sorts by creation time, newest first
  for (const created of [1_700_000_300, 1_700_000_100, 1_700_000_200]) records.push(await createJob(store, { created, statusHistory: [['I', created]] }));
  for (const record of records) {
    t.same(await store.get(record.id), record, `get ${record.id}`);
    t.same(await diskRecord(store, record.id), record, `job.json of ${record.id}`);
    t.same(await readJobFile(store.jobDir(record.id)), record, 'readJobFile validates and returns it');
    t.same(await leftovers(store, record.id), [], 'no temp files left');
  }
  const listed = await store.list();
  t.same(listed.map((r) => r.created), [1_700_000_300, 1_700_000_200, 1_700_000_100], 'newest first');
  t.same(listed, [...records].sort((a, b) => b.created - a.created));
  t.equal(await store.count(), 3);
});

t.test('update', async (t) => {
  const { store } = await setup(t);
  const record = await createJob(store);

  t.test('a change bumps rev and is written to Redis and job.json', async (t) => {
    const next = await store.update(record.id, (r) => ({ ...r, name: 'renamed', notes: 'n' }));
    t.match(next, { name: 'renamed', notes: 'n', rev: record.rev + 1 });
    t.same(await store.get(record.id), next);
    t.same(await diskRecord(store, record.id), next);
  });

  t.test('returning null changes nothing', async (t) => {
    const before = await store.get(record.id);
    let seen: JobRecord | null = null;
    const result = await store.update(record.id, (r) => { seen = r; return null; });
    t.same(result, before, 'answers the current record');
    t.same(seen, before, 'the change saw the current record');
    t.same(await store.get(record.id), before, 'rev not bumped');
  });

  t.test('the change gets a copy', async (t) => {
    const before = await store.get(record.id);
    await store.update(record.id, (r) => { r.name = 'mutated in place'; (r.form as Record<string, unknown>).x = 1; return null; });
    t.same(await store.get(record.id), before);
  });

  t.test('unknown ids', async (t) => {
    let called = false;
    t.equal(await store.update('20240102-030405-0000', () => { called = true; return null; }), null);
    t.notOk(called, 'the change is not called');
    t.equal(await store.get('20240102-030405-0000'), null, 'nothing created');
  });

  t.test('the live progress is part of the record an update sees and writes', async (t) => {
    await store.setProgress(record.id, 0.4);
    const next = await store.update(record.id, (r) => ({ ...r, notes: 'with progress' }));
    t.equal(next?.progress, 0.4);
    t.match(await diskRecord(store, record.id), { progress: 0.4, notes: 'with progress' });
  });
});

t.test('concurrent updates from two stores on separate connections lose nothing', async (t) => {
  const s = await setup(t);
  const other = secondStore(t, s);
  const record = await createJob(s.store, { notes: '' });
  const N = 20;
  const results = await Promise.all(Array.from({ length: N }, (_, i) => (i % 2 === 0 ? s.store : other).update(record.id, (r) => ({
    ...r,
    notes: `${r.notes ?? ''}[${i}]`,
    form: { ...r.form, counter: ((r.form.counter as number | undefined) ?? 0) + 1 },
  }))));
  const final = await s.store.get(record.id);
  t.ok(final);
  t.equal(final!.rev, record.rev + N, 'one revision per update');
  t.equal(final!.form.counter, N, 'counter incremented N times');
  const tokens = (final!.notes ?? '').match(/\[\d+\]/g) ?? [];
  t.same([...tokens].sort(), Array.from({ length: N }, (_, i) => `[${i}]`).sort(), 'every append is present exactly once');
  t.same(results.map((r) => r?.rev).sort((a, b) => a! - b!), Array.from({ length: N }, (_, i) => record.rev + i + 1), 'each update got its own revision');
  t.same(await other.get(record.id), final, 'both stores see the same record');
  t.ok(recordChecker.check(final), 'still a valid record');
});

/** 20 concurrent updates to one new job from two stores; answers the Redis record and job.json's text. */
async function racingUpdates(s: Setup, other: JobStore): Promise<{ id: string; inRedis: JobRecord | null; text: string }> {
  const record = await createJob(s.store);
  await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? s.store : other).update(record.id, (r) => ({ ...r, notes: `${r.notes ?? ''}${i},` }))));
  const inRedis = await s.store.get(record.id);
  const text = await fs.readFile(path.join(s.store.jobDir(record.id), JOB_FILE), 'utf8');
  return { id: record.id, inRedis, text };
}

t.test('job.json stays a valid record under concurrent updates (atomic writes)', async (t) => {
  const s = await setup(t);
  const other = secondStore(t, s);
  for (let round = 0; round < 5; round++) {
    const { id, inRedis, text } = await racingUpdates(s, other);
    let onDisk: unknown;
    t.doesNotThrow(() => { onDisk = JSON.parse(text); }, `round ${round}: job.json is valid JSON`);
    t.ok(recordChecker.check(onDisk), `round ${round}: job.json is a valid record`);
    t.ok((onDisk as JobRecord).rev <= inRedis!.rev, `round ${round}: never ahead of Redis`);
    t.same(await leftovers(s.store, id), [], `round ${round}: no .tmp files left`);
  }
});

// writeJobFile (job-files.ts:27-32) reads the file's rev, then writes a temp file and renames it;
// the check and the rename are not atomic, and JobStore.update (job-store.ts:100) writes after its
// EXEC without ordering. Two racing writers both pass the check and the older rev can rename last:
// in a stress run 46 of 200 rounds of 20 updates left job.json at rev 5..19 while Redis had rev 20.
// rebuildFromDisk would then restore a stale record (e.g. lose a final Done).
t.test('job.json equals the Redis record after concurrent updates', async (t) => {
  const s = await setup(t);
  const other = secondStore(t, s);
  for (let round = 0; round < 20; round++) {
    const { inRedis, text } = await racingUpdates(s, other);
    t.same(JSON.parse(text), inRedis, `round ${round}: job.json equals the Redis record`);
  }
});

t.test('setStatus', async (t) => {
  const { store } = await setup(t);

  t.test('same status is a no-op', async (t) => {
    const record = await createJob(store);
    const result = await store.setStatus(record.id, 'I');
    t.same(result, record, 'answers the unchanged record');
    t.equal((await store.get(record.id))!.rev, record.rev, 'no new revision');
  });

  t.test('Waiting then Running within a second drops Waiting', async (t) => {
    const record = await createJob(store);
    await store.setStatus(record.id, 'W');
    const running = await store.setStatus(record.id, 'R');
    t.equal(running?.status, 'R');
    t.same(running?.statusHistory.map(([code]) => code), ['I', 'R']);
    t.same(await diskRecord(store, record.id), running, 'written to job.json');
  });

  t.test('Waiting for more than a second is kept', async (t) => {
    const waitedSince = Date.now() / 1000 - 5;
    const record = await createJob(store, { status: 'W', statusHistory: [['I', waitedSince - 1], ['W', waitedSince]] });
    const running = await store.setStatus(record.id, 'R');
    t.same(running?.statusHistory.map(([code]) => code), ['I', 'W', 'R']);
    const at = running!.statusHistory[2]![1];
    t.ok(Math.abs(at - Date.now() / 1000) < 5, 'stamped with the current unix time in seconds');
  });

  t.test('Done forces progress to 1', async (t) => {
    const record = await createJob(store);
    await store.setStatus(record.id, 'R');
    await store.setProgress(record.id, 0.3);
    const done = await store.setStatus(record.id, 'D');
    t.equal(done?.progress, 1);
    t.equal((await store.get(record.id))?.progress, 1, 'live progress too');
    t.match(await diskRecord(store, record.id), { status: 'D', progress: 1 });
  });

  t.test('errors are kept for Error/Aborted and cleared otherwise', async (t) => {
    const record = await createJob(store);
    const error = { code: 'DATASET_BUILD_FAILED', message: 'no images' };
    const failed = await store.setStatus(record.id, 'E', error);
    t.match(failed, { status: 'E', error });
    const again = await store.setStatus(record.id, 'E', { code: 'INTERNAL', message: 'second' });
    t.match(again, { status: 'E', error: { code: 'INTERNAL', message: 'second' } }, 'same status with a new error updates the error');
    t.same(again?.statusHistory.map(([code]) => code), ['I', 'E'], 'without a new history entry');
    const aborted = await store.setStatus(record.id, 'A');
    t.same(aborted?.error, { code: 'INTERNAL', message: 'second' }, 'Aborted keeps the earlier error');
    const running = await store.setStatus(record.id, 'R');
    t.equal(running?.error, null, 'a non-failure status clears it');
  });

  t.test('a full life cycle', async (t) => {
    const record = await createJob(store);
    const steps: StatusCode[] = ['I', 'R', 'R', 'D'];
    for (const code of steps) await store.setStatus(record.id, code);
    const final = await store.get(record.id);
    t.same(final?.statusHistory.map(([code]) => code), ['I', 'R', 'D']);
    t.ok(recordChecker.check(final));
  });

  t.test('unknown job', async (t) => {
    t.equal(await store.setStatus('20240102-030405-0000', 'R'), null);
  });
});

t.test('setProgress', async (t) => {
  const { store, redis, prefix } = await setup(t);
  const record = await createJob(store);
  const table: Array<[number, number]> = [[0.25, 0.25], [1, 1], [1.5, 1], [-0.2, 0], [0, 0]];
  for (const [given, stored] of table) {
    await store.setProgress(record.id, given);
    t.equal((await store.get(record.id))?.progress, stored, `setProgress(${given})`);
  }
  await store.setProgress(record.id, 0.5);
  t.equal((await store.list())[0]?.progress, 0.5, 'list() reports live progress');
  t.equal((await diskRecord(store, record.id) as JobRecord).progress, 0, 'progress alone does not write job.json');

  await store.remove(record.id);
  await store.setProgress(record.id, 0.7);
  t.equal(await redis.exists(storeKey(prefix, 'job', record.id)), 0, 'a deleted job is not resurrected');
  t.equal(await store.get(record.id), null);
  t.same(await store.list(), []);
  await t.resolves(store.setProgress('20240102-030405-0000', 0.5), 'unknown ids are ignored');
});

t.test('list() reuses its last read until any store writes', async (t) => {
  const s = await setup(t);
  const other = secondStore(t, s); // another process's store on the same keys
  const a = await createJob(s.store, { created: 1 });
  const first = await s.store.list();
  t.equal(await s.store.list(), first, 'nothing changed: the same array');
  t.ok(Object.isFrozen(first), 'and nobody can reorder it');
  const [x, y] = await Promise.all([s.store.list(), s.store.list()]);
  t.equal(x, y, 'concurrent calls share one read');

  const b = await createJob(other, { created: 2 });
  t.same((await s.store.list()).map((r) => r.id), [b.id, a.id], "another store's create is seen at once");
  await other.setStatus(a.id, 'R');
  t.equal((await s.store.list())[1]?.status, 'R', 'an update');
  await other.setProgress(a.id, 0.75);
  t.equal((await s.store.list())[1]?.progress, 0.75, 'a progress tick');
  await other.remove(b.id);
  t.same((await s.store.list()).map((r) => r.id), [a.id], 'a removal');

  // a wiped Redis rebuilt from JOBS_DIR is read again, never matched against the old read
  const before = await s.store.list();
  await dropPrefix(s.url, s.prefix);
  t.same(await s.store.list(), [], 'emptied');
  await other.rebuildFromDisk();
  const rebuilt = await s.store.list();
  t.not(rebuilt, before);
  t.same(rebuilt.map((r) => r.id), [a.id]);
});

t.test('remove', async (t) => {
  const { store, redis, prefix } = await setup(t);
  const keep = await createJob(store, { created: 1 });
  const gone = await createJob(store, { created: 2 });
  await store.remove(gone.id);
  t.equal(await store.get(gone.id), null);
  await t.rejects(fs.stat(path.join(store.jobsDir, gone.id)), { code: 'ENOENT' }, 'folder deleted');
  t.same((await store.list()).map((r) => r.id), [keep.id], 'index entry removed');
  t.equal(await store.count(), 1);
  t.equal(await redis.zscore(storeKey(prefix, 'jobs'), gone.id), null);
  t.equal(await redis.sismember(storeKey(prefix, 'ids'), gone.id), 1, 'the id stays reserved');
  t.equal(await store.update(gone.id, (r) => r), null, 'an update after removal finds nothing');
  await t.rejects(fs.stat(path.join(store.jobsDir, gone.id)), { code: 'ENOENT' }, 'and does not recreate the folder');
  await t.resolves(store.remove(gone.id), 'removing twice is harmless');
  t.same(await store.get(keep.id), keep, 'the other job is untouched');
});

t.test('ids that could name another folder are refused', async (t) => {
  const { store } = await setup(t);
  const bad = ['..', '../20240102-030405-abcd', '20240102-030405-ABCD', '20240102-030405-abc', '20240102-030405-abcd/..', '', 'x'];
  for (const id of bad) {
    t.throws(() => store.jobDir(id), { code: 'JOB_NOT_FOUND', statusCode: 404 }, `jobDir(${JSON.stringify(id)})`);
    await t.rejects(store.remove(id), { code: 'JOB_NOT_FOUND' }, `remove(${JSON.stringify(id)})`);
  }
  t.equal(store.jobDir('20240102-030405-abcd'), path.join(store.jobsDir, '20240102-030405-abcd'));
});

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
