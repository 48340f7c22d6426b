// Reads by entry position (training's streaming read-ahead): every value of a three-level tree
// with overflow pages, in a shuffled order, equals what the key-order reader returns; liblmdb's own
// files (freelist, deleted keys) read the same way.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { createDbWriter, createRandom, openDbIndex, openDbReader, shuffleInPlace } from '@digits-ts/dataset';

const FIXTURE_DB = fileURLToPath(new URL('./fixtures/pylmdb-db', import.meta.url));

/** Entry i's value: 300–700 bytes (a few per leaf, so hundreds of leaves), every 50th past the inline limit. */
function valueFor(i: number): Buffer {
  const size = i % 50 === 0 ? 3000 + i : 300 + ((i * 37) % 400);
  const v = Buffer.alloc(size);
  for (let j = 0; j < size; j++) v[j] = (i * 31 + j * 7) & 255;
  return v;
}

t.test('every entry of a three-level tree, in a shuffled order, by position', async (t) => {
  const dir = path.join(t.testdir(), 'db');
  const writer = await createDbWriter(dir);
  const count = 6000;
  for (let i = 0; i < count; i++) writer.put(i, i % 10, valueFor(i));
  await writer.close();
  const reader = openDbReader(dir);
  const stat = reader.stat();
  const inOrder = [...reader.entries()].map((e) => Buffer.from(e.value));
  reader.close();
  t.ok(stat.depth >= 3 && stat.overflowPages > 0, `depth ${stat.depth}, ${stat.overflowPages} overflow pages`);
  const index = openDbIndex(dir);
  t.teardown(() => index.close());
  t.equal(index.count, count);
  const order = shuffleInPlace(Array.from({ length: count }, (_, i) => i), createRandom(7));
  t.same(order.filter((i) => !index.value(i).equals(inOrder[i]!)), [], 'every value as the reader reads it');
  t.throws(() => index.value(count), { code: 'VALIDATION_FAILED' });
});

t.test('a DB liblmdb wrote (freelist, deleted keys, overflow pages)', async (t) => {
  const reader = openDbReader(FIXTURE_DB);
  const inOrder = [...reader.entries()].map((e) => Buffer.from(e.value));
  reader.close();
  const index = openDbIndex(FIXTURE_DB);
  t.teardown(() => index.close());
  t.equal(index.count, inOrder.length);
  for (const i of [51, 0, 30, 9, 10, 50]) t.same(index.value(i), inOrder[i], `entry ${i}`);
});

t.test('an empty environment, a missing one', async (t) => {
  const dir = path.join(t.testdir(), 'empty');
  await (await createDbWriter(dir)).close();
  const index = openDbIndex(dir);
  t.equal(index.count, 0);
  index.close();
  t.throws(() => openDbIndex(path.join(dir, 'nope')), { code: 'DATASET_NOT_FOUND' });
});
