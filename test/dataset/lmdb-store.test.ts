// LMDB writer and reader: DIGITS' layout (directory + data.mdb, %08d_%d keys) in liblmdb 0.9 format.
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { createDbWriter, formatDatumKey, formatSequenceKey, openDbReader, WRITE_BATCH_SIZE, WRITE_BUFFER_BYTES } from '@digits-ts/dataset';

const FIXTURE_DB = fileURLToPath(new URL('./fixtures/pylmdb-db', import.meta.url));
const FIXTURE_SMALL = fileURLToPath(new URL('./fixtures/pylmdb-small/data.mdb', import.meta.url));

/** Deterministic value of entry i: mostly small, every 97th past the 2038-byte inline limit. */
function valueFor(i: number): Buffer {
  const size = i % 97 === 0 ? 5000 + i : 20 + (i % 300);
  const v = Buffer.alloc(size);
  for (let j = 0; j < size; j++) v[j] = (i * 31 + j * 7) & 255;
  return v;
}

t.test('formatDatumKey is "%08d_%d"; formatSequenceKey is "%09d"', async (t) => {
  t.equal(formatDatumKey(42, 7), '00000042_7');
  t.equal(formatDatumKey(0, 0), '00000000_0');
  t.equal(formatDatumKey(99_999_999, 123), '99999999_123');
  t.equal(formatSequenceKey(5), '000000005');
  t.throws(() => formatDatumKey(100_000_000, 0), { code: 'VALIDATION_FAILED' });
  t.throws(() => formatDatumKey(-1, 0), { code: 'VALIDATION_FAILED' });
  t.throws(() => formatDatumKey(1, 1.5), { code: 'VALIDATION_FAILED' });
});

t.test('2 500 entries: directory with data.mdb, keys in write order, values byte-identical', async (t) => {
  const dir = path.join(t.testdir(), 'train_db');
  const writer = await createDbWriter(dir);
  const n = 2500;
  for (let i = 0; i < n; i++) {
    writer.put(i, i % 10, valueFor(i));
    if ((i + 1) % WRITE_BATCH_SIZE === 0) await writer.flush();
  }
  t.equal(writer.entries, n);
  await writer.close();
  await writer.close(); // idempotent

  t.same(await fs.readdir(dir), ['data.mdb']);
  const reader = openDbReader(dir);
  t.teardown(() => reader.close());
  t.equal(reader.count(), n);
  const stat = reader.stat();
  t.ok(stat.depth >= 2 && stat.leafPages > 1 && stat.branchPages >= 1, 'a multi-level tree');
  t.ok(stat.overflowPages > 0, 'large values went to overflow pages');

  let i = 0;
  let mismatches = 0;
  for (const { key, value } of reader.entries()) {
    if (key !== formatDatumKey(i, i % 10) || !value.equals(valueFor(i))) mismatches++;
    i++;
  }
  t.equal(i, n);
  t.equal(mismatches, 0);

  t.same(reader.get('00001234_4'), valueFor(1234));
  t.same(reader.get('00000097_7'), valueFor(97), 'overflow value by key');
  t.equal(reader.get('00001234_5'), undefined);
  t.same([...reader.entries({ start: 1998, limit: 3 })].map((e) => e.key), ['00001998_8', '00001999_9', '00002000_0']);
  t.same([...reader.entries({ start: '00002498', limit: 5 })].map((e) => e.key), ['00002498_8', '00002499_9']);
  t.same([...reader.entries({ start: n })], []);
  t.same([...reader.entries({ limit: 0 })], []);
});

t.test('the meta page is liblmdb 0.9 format (checked from raw bytes, not through our reader)', async (t) => {
  const dir = t.testdir();
  const writer = await createDbWriter(dir);
  for (let i = 0; i < 10; i++) writer.put(i, 1, Buffer.from([i]));
  await writer.close();
  const head = (await fs.readFile(path.join(dir, 'data.mdb'))).subarray(0, 8192);
  t.equal(head.readUInt16LE(10), 0x08, 'page 0 is a meta page (P_META)');
  t.equal(head.readUInt32LE(16), 0xbeefc0de, 'MDB_MAGIC');
  t.equal(head.readUInt32LE(20), 1, 'data format version 1, what liblmdb 0.9.x expects');
  t.equal(head.readUInt32LE(40), 4096, 'page size');
  // meta 0 is the empty environment (txn 0), meta 1 the committed one (txn 1), as liblmdb leaves them
  const entries = 16 + 24 + 48 + 32;
  const txnid = 16 + 24 + 96 + 8;
  t.same([head.readUInt32LE(entries), head.readUInt32LE(txnid)], [0, 0], 'meta 0: no entries, txn 0');
  t.equal(head.readUInt16LE(4096 + 10), 0x08, 'page 1 is a meta page');
  t.equal(head.readUInt32LE(4096 + 20), 1);
  t.same([head.readUInt32LE(4096 + entries), head.readUInt32LE(4096 + txnid)], [10, 1], 'meta 1: 10 entries, txn 1');
});

t.test('a one-leaf DB is byte-identical to what liblmdb writes for the same puts', async (t) => {
  const dir = t.testdir();
  const writer = await createDbWriter(dir);
  for (let i = 0; i < 5; i++) writer.put(i, i % 2, Uint8Array.from({ length: 10 + i }, (_, j) => i * 3 + j));
  await writer.close();
  const ours = await fs.readFile(path.join(dir, 'data.mdb'));
  const theirs = await fs.readFile(FIXTURE_SMALL);
  t.equal(ours.length, theirs.length);
  t.ok(ours.equals(theirs), 'same bytes as py-lmdb / liblmdb 0.9.24');
});

t.test('reads a DB written by liblmdb itself (py-lmdb fixture with freelist and overflow pages)', async (t) => {
  const reader = openDbReader(FIXTURE_DB);
  t.teardown(() => reader.close());
  const expectedIds = [...Array(62).keys()].filter((i) => i < 10 || i >= 20);
  const expected = (i: number) => Buffer.from(Array.from({ length: i < 60 ? 200 + (i % 5) : 5000 + i }, (_, j) => (i * 13 + j) % 256));
  t.equal(reader.count(), expectedIds.length);
  const entries = [...reader.entries()];
  t.same(entries.map((e) => e.key), expectedIds.map((i) => formatDatumKey(i, i % 3)));
  t.same(entries.filter((e, k) => !e.value.equals(expected(expectedIds[k] as number))).map((e) => e.key), []);
  t.same(reader.get('00000061_1'), expected(61));
  t.equal(reader.get('00000015_0'), undefined, 'deleted key');
  t.same([...reader.entries({ start: '00000010', limit: 2 })].map((e) => e.key), ['00000020_2', '00000021_0']);
  t.same(reader.stat(), { pageSize: 4096, depth: 2, branchPages: 1, leafPages: 4, overflowPages: 4, entries: 52 });
});

t.test('an empty and a one-entry environment', async (t) => {
  const root = t.testdir();
  const empty = await createDbWriter(path.join(root, 'empty'));
  await empty.close();
  const r0 = openDbReader(path.join(root, 'empty'));
  t.equal(r0.count(), 0);
  t.same([...r0.entries()], []);
  t.equal(r0.get('00000000_0'), undefined);
  r0.close();

  const one = await createDbWriter(path.join(root, 'one'));
  one.put(0, 3, new Uint8Array([9, 8, 7]));
  await one.close();
  const r1 = openDbReader(path.join(root, 'one'));
  t.same([...r1.entries()].map((e) => [e.key, [...e.value]]), [['00000000_3', [9, 8, 7]]]);
  r1.close();
});

t.test('keys must increase; a closed writer refuses puts', async (t) => {
  const writer = await createDbWriter(t.testdir());
  writer.put(5, 1, new Uint8Array(1));
  t.throws(() => writer.put(5, 1, new Uint8Array(1)), { code: 'VALIDATION_FAILED' });
  t.throws(() => writer.put(4, 1, new Uint8Array(1)), { code: 'VALIDATION_FAILED' });
  writer.putKey('00000006_1', new Uint8Array(1));
  t.throws(() => writer.putKey('caf\u00e9', new Uint8Array(1)), { code: 'VALIDATION_FAILED' }, 'non-ASCII key');
  await writer.close();
  t.throws(() => writer.put(7, 1, new Uint8Array(1)), { code: 'VALIDATION_FAILED' });
});

t.test('an unfinished environment is not readable; a new writer replaces an old one', async (t) => {
  const dir = t.testdir();
  const writer = await createDbWriter(dir);
  for (let i = 0; i < 1500; i++) writer.put(i, 0, valueFor(i));
  await writer.flush();
  t.throws(() => openDbReader(dir), { code: 'DATASET_NOT_READY' }, 'meta pages are written last');
  await writer.close();
  const finished = openDbReader(dir);
  t.equal(finished.count(), 1500);
  finished.close();

  const again = await createDbWriter(dir);
  again.put(0, 2, Buffer.from('x'));
  await again.close();
  const reader = openDbReader(dir);
  t.same([...reader.entries()].map((e) => e.key), ['00000000_2']);
  reader.close();
});

t.test('ready() bounds what the writer holds: pages go to disk as the entries arrive', async (t) => {
  const dir = t.testdir();
  const writer = await createDbWriter(dir);
  const value = Buffer.alloc(2 << 20, 7);
  let most = 0;
  for (let i = 0; i < 48; i++) {
    writer.put(i, 0, value);
    most = Math.max(most, writer.buffered);
    await writer.ready();
  }
  t.ok(most > WRITE_BUFFER_BYTES / 2, `the writer buffers (${most} bytes at most) rather than write each page alone`);
  t.ok(most < WRITE_BUFFER_BYTES + value.length + 8192, `but no more than its bound and one value (${most} bytes)`);
  t.ok((await fs.stat(path.join(dir, 'data.mdb'))).size > 48 * value.length - WRITE_BUFFER_BYTES - value.length, 'the rest is on disk before close');
  await writer.close();
  t.equal(writer.buffered, 0);
  const reader = openDbReader(dir);
  t.equal(reader.count(), 48);
  t.same([...reader.entries({ start: 47 })].map((e) => e.value.equals(value)), [true]);
  reader.close();
});

t.test('openDbReader reports a missing or foreign environment', async (t) => {
  const dir = t.testdir({ junk: { 'data.mdb': Buffer.alloc(8192, 1) } });
  t.throws(() => openDbReader(path.join(dir, 'nothing')), { code: 'DATASET_NOT_FOUND' });
  t.throws(() => openDbReader(path.join(dir, 'junk')), { code: 'DATASET_NOT_READY' });
});
