// JobStore (job-store.ts) against a real Redis and a temp JOBS_DIR: create, get, list, update
// (also racing from two connections), setStatus, setProgress, list's cache, remove.
import fs from 'node:fs/promises';
import path from 'node:path';
import t from 'tap';
import type { JobRecord, StatusCode } from '@digits-ts/contracts';
import { JOB_FILE, JobStore, readJobFile, storeKey } from '@digits-ts/queue';
import { dropPrefix } from '../helpers/redis.ts';
import { createJob, diskRecord, leftovers, recordChecker, secondStore, setup, type Setup } from './job-store-fixtures.ts';

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
