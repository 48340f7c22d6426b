/**
 * The bench-sized liblmdb cross-check (not in CI; test/dataset/lmdb-liblmdb.test.ts is the CI
 * one): writes a multi-GB LMDB with our writer — by default > 4 GiB, so file offsets pass 2^32,
 * and 1.3 M entries, so the tree has three levels — then has liblmdb (Debian's python3-lmdb)
 * iterate it sequentially and hash every entry, and compares with the digest taken while writing.
 *
 *   npx tsx scripts/lmdb-scale-check.ts [--gib 4.5] [--dir DIR] [--keep] [--delete-all]
 *
 * Entries are DIGITS-like: every 50th a 256×256×3 raw Datum's size (196 623 bytes, overflow
 * pages), the rest 16–80 bytes. Prints the figures (size, depth, write MB/s, peak RSS, liblmdb's
 * and our reader's verify times) and exits 1 on any mismatch. DIR (default: a new folder in the
 * OS temp dir) is deleted afterwards unless --keep. --delete-all then also has liblmdb delete
 * every entry and checks that its stat ends at zero.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { createDbWriter, formatDatumKey, openDbReader } from '@digits-ts/dataset';
import { EntryDigest, liblmdbMissing, runLiblmdb } from './lmdb-crosscheck.ts';

const IMAGE_BYTES = 196_623;
const IMAGE_EVERY = 50;
const POOL_BYTES = 8 << 20;

/** Deterministic noise that values are sliced from (cheap to make, incompressible enough). */
function pool(): Buffer {
  const out = Buffer.allocUnsafe(POOL_BYTES);
  let x = 2463534242;
  for (let i = 0; i < POOL_BYTES; i += 4) {
    x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
    out.writeUInt32LE(x, i);
  }
  return out;
}

const mb = (bytes: number) => bytes / 1e6;
const round = (x: number, digits = 1) => Number(x.toFixed(digits));

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { gib: { type: 'string', default: '4.5' }, dir: { type: 'string' }, keep: { type: 'boolean', default: false }, 'delete-all': { type: 'boolean', default: false } } });
  const missing = await liblmdbMissing();
  if (missing) {
    console.error(missing);
    return 1;
  }
  const target = Number(values.gib) * 2 ** 30;
  const dir = values.dir ?? path.join(await fs.mkdtemp(path.join(os.tmpdir(), 'lmdb-scale-')), 'train_db');
  const noise = pool();
  const problems: string[] = [];
  try {
    // write, digesting the entry stream as liblmdb will hash it
    const digest = new EntryDigest();
    let peakRss = process.memoryUsage.rss();
    const started = performance.now();
    const writer = await createDbWriter(dir);
    let approxBytes = 0;
    for (let i = 0; approxBytes < target; i++) {
      const size = i % IMAGE_EVERY === 0 ? IMAGE_BYTES : 16 + (i % 65);
      const offset = (i * 2654435761) % (POOL_BYTES - size);
      const value = noise.subarray(offset, offset + size);
      const key = formatDatumKey(i, i % 1000);
      writer.put(i, i % 1000, value);
      digest.add(Buffer.from(key, 'latin1'), value);
      approxBytes += size > 2000 ? Math.ceil((size + 16) / 4096) * 4096 : size + 30;
      await writer.ready();
      if (i % 4096 === 0) peakRss = Math.max(peakRss, process.memoryUsage.rss());
    }
    await writer.close();
    const writeS = (performance.now() - started) / 1000;
    const fileBytes = (await fs.stat(path.join(dir, 'data.mdb'))).size;
    const ours = digest.hex();

    // our own reader, sequentially
    const readStarted = performance.now();
    const reader = openDbReader(dir);
    const stat = reader.stat();
    const reread = new EntryDigest();
    for (const { key, value } of reader.entries()) reread.add(Buffer.from(key, 'latin1'), value);
    reader.close();
    const ourReadS = (performance.now() - readStarted) / 1000;

    // liblmdb, sequentially
    const probeFile = `${dir}-probes.json`;
    const probes = [0, 1, IMAGE_EVERY, Math.floor(digest.entries / 2), digest.entries - 1].map((i) => formatDatumKey(i, i % 1000));
    await fs.writeFile(probeFile, JSON.stringify(probes));
    const lib = await runLiblmdb(['verify', dir, '--probes', probeFile, ...(values['delete-all'] ? ['--delete-all'] : [])], 3_600_000);

    if (fileBytes <= 2 ** 32) problems.push(`the file (${fileBytes} bytes) does not pass 4 GiB`);
    if (lib.sha256 !== ours) problems.push(`liblmdb's digest ${lib.sha256} differs from ours ${ours}`);
    if (reread.hex() !== ours) problems.push(`our reader's digest ${reread.hex()} differs from what was written ${ours}`);
    if (lib.entries !== digest.entries || !lib.ordered) problems.push(`liblmdb iterated ${lib.entries} entries (ordered: ${lib.ordered}) of ${digest.entries}`);
    if (lib.stat.depth < 3 || lib.stat.depth !== stat.depth || lib.stat.overflow_pages !== stat.overflowPages || lib.stat.entries !== stat.entries) problems.push(`stat differs: liblmdb ${JSON.stringify(lib.stat)}, ours ${JSON.stringify(stat)}`);
    if ((lib.info!.last_pgno + 1) * 4096 !== fileBytes) problems.push(`liblmdb's last page ${lib.info!.last_pgno} does not end the file`);
    if (lib.gets!.some((g) => g === null)) problems.push(`liblmdb could not find a probed key: ${JSON.stringify(lib.gets)}`);
    if (lib.stat_after_delete && (lib.stat_after_delete.depth !== 0 || lib.stat_after_delete.overflow_pages !== 0 || lib.stat_after_delete.leaf_pages !== 0 || lib.stat_after_delete.branch_pages !== 0)) {
      problems.push(`after deleting every entry liblmdb's stat is ${JSON.stringify(lib.stat_after_delete)}`);
    }
    console.log(JSON.stringify({
      dir, fileGiB: round(fileBytes / 2 ** 30, 2), lastPage: lib.info!.last_pgno, entries: digest.entries, depth: lib.stat.depth,
      branchPages: lib.stat.branch_pages, leafPages: lib.stat.leaf_pages, overflowPages: lib.stat.overflow_pages, mapSize: lib.info!.map_size,
      writeS: round(writeS), writeMBps: round(mb(fileBytes) / writeS), writerPeakRssMB: round(mb(peakRss)),
      ourReadS: round(ourReadS), ourReadMBps: round(mb(fileBytes) / ourReadS),
      liblmdbVerifyS: lib.verify_s, liblmdbVerifyMBps: round(mb(fileBytes) / lib.verify_s!),
      ...(lib.delete_s !== undefined ? { liblmdbDeleteAllS: lib.delete_s } : {}),
      sha256: ours, ok: problems.length === 0,
    }, null, 1));
  } finally {
    if (!values.keep) {
      await fs.rm(`${dir}-probes.json`, { force: true });
      await fs.rm(values.dir ? dir : path.dirname(dir), { recursive: true, force: true });
    }
  }
  for (const p of problems) console.error(`MISMATCH: ${p}`);
  return problems.length === 0 ? 0 : 1;
}

process.exitCode = await main();
