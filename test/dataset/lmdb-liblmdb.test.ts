// Our LMDB writer and reader against the real liblmdb 0.9 (Debian's python3-lmdb, run by
// scripts/lmdb-crosscheck.py): multi-level trees (depth ≥ 3) with overflow pages, both ways.
// Needs /usr/bin/python3 with lmdb; CI installs python3-lmdb (.ci/run), elsewhere the test fails
// saying so rather than skip. The multi-GB variant is scripts/lmdb-scale-check.ts.
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import t, { type Test } from 'tap';
import { createDbWriter, formatDatumKey, openDbReader, type DbReader } from '@digits-ts/dataset';
import { EntryDigest, liblmdbMissing, runLiblmdb, type LiblmdbReport, type LiblmdbStat } from '../../scripts/lmdb-crosscheck.ts';

/** `me_nodemax` for 4 KiB pages: a leaf node (8-byte header + key + value) above it moves its value to overflow pages. */
const NODE_MAX = 2038;

/** Deterministic bytes: a cheap xorshift stream seeded by `seed`. */
function bytesOf(seed: number, size: number): Buffer {
  const out = Buffer.allocUnsafe(size);
  let x = (seed * 2654435761) >>> 0 || 1;
  for (let i = 0; i < size; i++) {
    x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
    out[i] = x & 255;
  }
  return out;
}

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const statOf = (reader: DbReader): LiblmdbStat => {
  const s = reader.stat();
  return { psize: s.pageSize, depth: s.depth, branch_pages: s.branchPages, leaf_pages: s.leafPages, overflow_pages: s.overflowPages, entries: s.entries };
};

interface Written {
  dir: string;
  digest: string;
  count: number;
  /** Keys to look up: every 97th written key, and keys that fall between written ones. */
  probes: string[];
  valueOf: Map<string, Buffer>;
}

/** Writes `entries` with our writer (awaiting `ready()` as the builds do) and digests them. */
async function writeOurs(dir: string, entries: Iterable<[string, Buffer]>): Promise<Written> {
  const writer = await createDbWriter(dir);
  const digest = new EntryDigest();
  const probes: string[] = [];
  const valueOf = new Map<string, Buffer>();
  for (const [key, value] of entries) {
    writer.putKey(key, value);
    digest.add(Buffer.from(key, 'latin1'), value);
    if (digest.entries % 97 === 1) {
      probes.push(key, `${key}~`, key.slice(0, -1));
      valueOf.set(key, value);
    }
    await writer.ready();
  }
  await writer.close();
  return { dir, digest: digest.hex(), count: digest.entries, probes, valueOf };
}

/** Checks liblmdb's view of a DB we wrote: stat, page accounting, every entry, lookups; then that deleting all leaves nothing. */
async function crossCheck(t: Test, written: Written): Promise<LiblmdbReport> {
  const ours = openDbReader(written.dir);
  const ourStat = statOf(ours);
  const ourRanges = written.probes.map((p) => [...ours.keys({ start: p, limit: 1 })][0] ?? null);
  ours.close();
  const meta = Buffer.alloc(8);
  const fh = await fs.open(path.join(written.dir, 'data.mdb'));
  await fh.read(meta, 0, 8, 4096 + 16 + 16); // meta page 1's mm_mapsize, before liblmdb commits over meta page 0
  await fh.close();
  const probeFile = path.join(path.dirname(written.dir), `${path.basename(written.dir)}-probes.json`);
  await fs.writeFile(probeFile, JSON.stringify(written.probes));
  const lib = await runLiblmdb(['verify', written.dir, '--probes', probeFile, '--delete-all']);

  t.same(lib.stat, ourStat, 'liblmdb reports the stat our meta page holds');
  t.equal(lib.entries, written.count, 'liblmdb iterates every entry');
  t.ok(lib.ordered, 'in strictly increasing key order');
  t.equal(lib.sha256, written.digest, 'keys and values byte-identical (sha256 over the entry stream)');
  const pages = lib.info!.last_pgno + 1;
  t.equal(pages, 2 + lib.stat.branch_pages + lib.stat.leaf_pages + lib.stat.overflow_pages, 'every page is accounted for');
  t.equal(lib.file_bytes, pages * 4096, 'the file ends at the last page');
  t.ok(Number(meta.readBigUInt64LE()) >= lib.file_bytes!, 'the map size in the meta page covers the file');
  const expectedGets = written.probes.map((p) => {
    const v = written.valueOf.get(p);
    return v ? [v.length, sha256(v)] : null;
  });
  t.same(lib.gets, expectedGets, 'liblmdb finds each probed key (and not the ones between) through the branch pages');
  t.same(lib.set_range, ourRanges, 'liblmdb and our reader land on the same key for each range start');
  // liblmdb decrements depth and the page counts as it frees pages: wrong counts would not end at 0
  t.equal(lib.deleted, written.count);
  t.same(lib.stat_after_delete, { psize: 4096, depth: 0, branch_pages: 0, leaf_pages: 0, overflow_pages: 0, entries: 0 }, 'liblmdb deletes every entry and frees every page');
  return lib;
}

// without py-lmdb the file fails once, saying what to install, instead of failing every check
const missing = await liblmdbMissing();
if (missing) t.fail(missing);
else t.pass('/usr/bin/python3 has py-lmdb');
const liblmdbTest = missing ? () => undefined : t.test.bind(t);

liblmdbTest('liblmdb reads a depth-3 tree of DIGITS keys with overflow values that our writer built', async (t) => {
  const count = 45_000;
  function* entries(): Generator<[string, Buffer]> {
    for (let i = 0; i < count; i++) {
      // small Datum-like values keep the tree cheap; every 500th is a page-spanning image
      const size = i % 500 === 250 ? 9000 + (i % 7) * 4096 : 8 + (i % 41);
      yield [formatDatumKey(i, i % 10), bytesOf(i, size)];
    }
  }
  const written = await writeOurs(path.join(t.testdir(), 'train_db'), entries());
  const lib = await crossCheck(t, written);
  t.equal(lib.stat.depth, 3, 'three levels: root branch, branches, leaves');
  t.ok(lib.stat.overflow_pages >= 90 * 3, 'overflow pages');
});

liblmdbTest('liblmdb reads a depth-4 tree of long keys, with values at the inline/overflow boundaries', async (t) => {
  // keys of 9..510 bytes make few nodes per page, so four levels need only thousands of entries
  const boundary = (keyLength: number) => [0, NODE_MAX - 8 - keyLength, NODE_MAX - 7 - keyLength, 4080, 4081, 8176, 8177];
  function* entries(): Generator<[string, Buffer]> {
    for (let i = 0; i < 7000; i++) {
      const key = `${String(i).padStart(8, '0')}-${'abcdefghijklmnopqrstuvwxyz'.repeat(20).slice(0, (i * 7919) % 502)}`;
      const edges = boundary(key.length);
      const size = i % 10 === 0 ? edges[(i / 10) % edges.length]! : i % 53 === 1 ? 20_000 + i : (i * 31) % 300;
      yield [key, bytesOf(i + 1e6, size)];
    }
  }
  const written = await writeOurs(path.join(t.testdir(), 'long_keys'), entries());
  const lib = await crossCheck(t, written);
  t.equal(lib.stat.depth, 4, 'four levels');
  t.ok(lib.stat.overflow_pages > 0, 'overflow pages');
});

liblmdbTest('a level whose last branch page would get one child borrows one (liblmdb asserts two per branch page)', async (t) => {
  // 500-byte keys: 8 children per branch page; values at the inline limit: 2 entries per leaf.
  // 65 leaves → 8 full branch pages + 1 child (borrowed: 9 pages) → 8 + 1 again (2) → a root.
  function* entries(): Generator<[string, Buffer]> {
    for (let i = 0; i < 130; i++) {
      const key = `${String(i).padStart(8, '0')}${'k'.repeat(492)}`;
      yield [key, bytesOf(i, NODE_MAX - 8 - key.length)];
    }
  }
  const lib = await crossCheck(t, await writeOurs(path.join(t.testdir(), 'borrow'), entries()));
  t.same([lib.stat.depth, lib.stat.leaf_pages, lib.stat.branch_pages, lib.stat.overflow_pages], [4, 65, 9 + 2 + 1, 0]);
});

liblmdbTest('our reader reads a multi-level tree that liblmdb built (random order, deletes, freelist, overflow)', async (t) => {
  const root = t.testdir();
  const dir = path.join(root, 'pylmdb');
  const lib = await runLiblmdb(['write', dir, '7', '4000']);
  t.ok(lib.stat.depth >= 3 && lib.stat.overflow_pages > 0, `liblmdb wrote depth ${lib.stat.depth} with ${lib.stat.overflow_pages} overflow pages`);
  const reader = openDbReader(dir);
  t.teardown(() => reader.close());
  t.same(statOf(reader), lib.stat, 'our reader reports the stat liblmdb wrote');
  const digest = new EntryDigest();
  const sample: Array<[string, Buffer]> = [];
  let previous: Buffer | null = null;
  let ordered = true;
  for (const { key, value } of reader.entries()) {
    const raw = Buffer.from(key, 'latin1');
    if (previous && Buffer.compare(previous, raw) >= 0) ordered = false;
    previous = raw;
    digest.add(raw, value);
    if (digest.entries % 50 === 0) sample.push([key, Buffer.from(value)]);
  }
  t.equal(digest.entries, lib.entries);
  t.ok(ordered, 'in strictly increasing key order');
  t.equal(digest.hex(), lib.sha256, 'keys and values byte-identical to what liblmdb iterates');
  t.same(sample.filter(([key, value]) => !reader.get(key)?.equals(value)).map(([key]) => key), [], 'get() finds sampled keys');

  // range starts between keys: liblmdb's set_range and our seek agree
  const probes = sample.flatMap(([key]) => [key.slice(0, 1 + (key.length >> 1)), `${key}\u0000`]);
  const probeFile = path.join(root, 'probes.json');
  await fs.writeFile(probeFile, JSON.stringify(probes));
  const looked = await runLiblmdb(['verify', dir, '--probes', probeFile]);
  t.same(probes.map((p) => [...reader.keys({ start: p, limit: 1 })][0] ?? null), looked.set_range);
});
