// readDbPage, DbReader.keys and labelOfDatumKey: explorer pages over a 60 000-entry DB, with and
// without a class filter, and keys that carry no class.
import path from 'node:path';
import t from 'tap';
import { createDbWriter, encodeDatum, formatSequenceKey, labelOfDatumKey, openDbReader, readDbPage } from '@digits-ts/dataset';

const ENTRIES = 60_000;
/** A deterministic, uneven class for entry i (so per-class totals differ). */
const classOf = (i: number) => (i * 7 + (i >> 5)) % 10;
const datum = (label: number, size: number) => encodeDatum({ channels: 1, height: 1, width: size, label, data: Buffer.alloc(size, label), encoded: false });

t.test('labelOfDatumKey reads %08d_%d keys only', async (t) => {
  t.equal(labelOfDatumKey('00000042_7'), 7);
  t.equal(labelOfDatumKey('00000042_123'), 123);
  t.equal(labelOfDatumKey('000000042'), null);
  t.equal(labelOfDatumKey('42_7'), null);
  t.equal(labelOfDatumKey('00000042_'), null);
});

t.test('pages of a 60 000-entry classification DB', async (t) => {
  const dir = path.join(t.testdir(), 'train_db');
  const writer = await createDbWriter(dir);
  const perClass = new Array<number>(10).fill(0);
  for (let i = 0; i < ENTRIES; i++) {
    writer.put(i, classOf(i), datum(classOf(i), 784));
    perClass[classOf(i)]!++;
    if (i % 1000 === 999) await writer.flush();
  }
  await writer.close();
  const reader = openDbReader(dir);
  t.teardown(() => reader.close());

  const keys = [...reader.keys()];
  t.equal(keys.length, ENTRIES);
  t.same(keys.slice(0, 2), ['00000000_0', '00000001_7']);
  t.same([...reader.keys({ start: 100, limit: 3 })], [...reader.entries({ start: 100, limit: 3 })].map((e) => e.key), 'keys() ranges like entries()');

  const first = readDbPage(reader, { page: 0, size: 25, label: null });
  t.equal(first.total, ENTRIES);
  t.same(first.entries.map((e) => e.key), keys.slice(0, 25));
  t.same(readDbPage(reader, { page: 3, size: 100, label: null }).entries.map((e) => e.key), keys.slice(300, 400));
  t.same(readDbPage(reader, { page: 599, size: 100, label: null }).entries.map((e) => e.key), keys.slice(59_900));
  t.same(readDbPage(reader, { page: 600, size: 100, label: null }).entries, [], 'past the end');

  const started = performance.now();
  for (let label = 0; label < 10; label++) {
    const matching = keys.filter((k) => labelOfDatumKey(k) === label);
    const page = readDbPage(reader, { page: 2, size: 30, label });
    t.equal(page.total, perClass[label], `class ${label}: total`);
    t.same(page.entries.map((e) => e.key), matching.slice(60, 90), `class ${label}: page 2`);
    t.ok(page.entries.every((e) => e.value[e.value.length - 1] === label), `class ${label}: values belong to their keys`);
  }
  const perFilter = (performance.now() - started) / 10;
  t.comment(`label-filtered page over ${ENTRIES} entries: ${perFilter.toFixed(0)} ms`);
  t.same(readDbPage(reader, { page: 0, size: 10, label: 42 }), { total: 0, entries: [] }, 'a class with no entries');
});

t.test('keys without a class: the filter reads the Datum label', async (t) => {
  const dir = path.join(t.testdir(), 'features');
  const writer = await createDbWriter(dir);
  // large values, on overflow pages: keys() leaves them unread
  for (let i = 0; i < 40; i++) writer.putKey(formatSequenceKey(i), datum(i % 3, 20_000));
  await writer.close();
  const reader = openDbReader(dir);
  t.teardown(() => reader.close());
  const page = readDbPage(reader, { page: 1, size: 5, label: 2 });
  t.equal(page.total, 13);
  t.same(page.entries.map((e) => e.key), [17, 20, 23, 26, 29].map(formatSequenceKey));
  t.equal(page.entries[0]!.value.length, datum(2, 20_000).length);
});

t.test('bad options are refused', async (t) => {
  const dir = path.join(t.testdir(), 'db');
  const writer = await createDbWriter(dir);
  writer.put(0, 0, datum(0, 4));
  await writer.close();
  const reader = openDbReader(dir);
  t.teardown(() => reader.close());
  t.throws(() => readDbPage(reader, { page: -1, size: 10, label: null }), { code: 'VALIDATION_FAILED', message: /Expected non-negative integer for page but received -1/ });
  t.throws(() => readDbPage(reader, { page: 0, size: 0, label: null }), { code: 'VALIDATION_FAILED' });
  t.throws(() => readDbPage(reader, { page: 0, size: 10, label: 1.5 }), { code: 'VALIDATION_FAILED' });
});
