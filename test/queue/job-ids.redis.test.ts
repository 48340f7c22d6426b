// JobStore's ids (reserveId): the DIGITS format, unique within a second and across removals, each
// with its folder; ids that could name another folder are refused. Real Redis, temp JOBS_DIR.
import fs from 'node:fs/promises';
import path from 'node:path';
import t from 'tap';
import { storeKey } from '@digits-ts/queue';
import { FIXED, FIXED_STAMP, ID_PATTERN, makeRecord, recordChecker, setup } from './job-store-fixtures.ts';

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

t.test('ids that could name another folder are refused', async (t) => {
  const { store } = await setup(t);
  const bad = ['..', '../20240102-030405-abcd', '20240102-030405-ABCD', '20240102-030405-abc', '20240102-030405-abcd/..', '', 'x'];
  for (const id of bad) {
    t.throws(() => store.jobDir(id), { code: 'JOB_NOT_FOUND', statusCode: 404 }, `jobDir(${JSON.stringify(id)})`);
    await t.rejects(store.remove(id), { code: 'JOB_NOT_FOUND' }, `remove(${JSON.stringify(id)})`);
  }
  t.equal(store.jobDir('20240102-030405-abcd'), path.join(store.jobsDir, '20240102-030405-abcd'));
});
