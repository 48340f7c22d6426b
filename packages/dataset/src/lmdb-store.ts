/**
 * LMDB writer for DIGITS' dataset layout (contract §6.4): one environment per split, a DIRECTORY
 * holding `data.mdb`, keys `"%08d_%d"`, binary values. The file is a bulk-built liblmdb 0.9
 * B+tree (see lmdb-format.ts), so Caffe, py-lmdb and DIGITS open it like any other LMDB.
 *
 * Keys must arrive in strictly increasing byte order (write-index keys do). The tree is built
 * bottom-up as the entries arrive: each level above the leaves keeps only its open branch page
 * (and the full one before it), and finished pages go to disk in large sequential writes, so
 * memory stays bounded whatever the DB's size. The meta pages are written last, so an unfinished
 * file is never a valid LMDB.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { Errors, assert, expected, isAppError } from '@digits-ts/contracts';
import {
  MAX_KEY_SIZE, NODE_HEADER_SIZE, PAGE_HEADER_SIZE, PAGE_SIZE, P_BRANCH, P_LEAF, P_OVERFLOW, F_BIGDATA,
  encodeMetaPage, even, nodeMax, overflowPages, writeU64, type TreeInfo,
} from './lmdb-format.ts';

/** The data file inside an environment directory. */
export const DATA_FILE = 'data.mdb';
/** liblmdb's lock file; created by whoever opens the environment, never by us. */
export const LOCK_FILE = 'lock.mdb';
/** Entries per write batch (DIGITS commits every 1000 images). */
export const WRITE_BATCH_SIZE = 1000;
/** Finished pages gathered before a write starts: few, large, sequential writes. */
const WRITE_CHUNK_BYTES = 8 << 20;
/** Bytes put but not yet on disk above which {@link DbWriter.ready} makes its caller wait. */
export const WRITE_BUFFER_BYTES = 64 << 20;
/** Room for nodes in a branch page. */
const BRANCH_CAPACITY = PAGE_SIZE - PAGE_HEADER_SIZE;

/** Highest write index whose 8-digit key still sorts in write order. */
const MAX_DATUM_INDEX = 99_999_999;

/** `"%08d_%d"`: the classification key, e.g. `formatDatumKey(42, 7) === '00000042_7'`. */
export function formatDatumKey(index: number, label: number): string {
  assert(Number.isInteger(index) && index >= 0 && index <= MAX_DATUM_INDEX, () => expected('integer in 0..99999999', 'index', index));
  assert(Number.isInteger(label) && label >= 0, () => expected('non-negative integer', 'label', label));
  return `${String(index).padStart(8, '0')}_${label}`;
}

/** The label a `"%08d_%d"` key carries (`'00000042_7'` → 7), or null for any other key. */
export function labelOfDatumKey(key: string): number | null {
  const match = /^\d{8}_(\d+)$/.exec(key);
  return match ? Number(match[1]) : null;
}

/** `"%09d"`: the generic-dataset key (contract §7.2), e.g. `formatSequenceKey(5) === '000000005'`. */
export function formatSequenceKey(index: number): string {
  assert(Number.isInteger(index) && index >= 0 && index <= 999_999_999, () => expected('integer in 0..999999999', 'index', index));
  return String(index).padStart(9, '0');
}

/** A write-once LMDB environment being built. */
export interface DbWriter {
  /** The environment directory. */
  readonly dir: string;
  /** Entries put so far. */
  readonly entries: number;
  /** Adds `value` under `formatDatumKey(index, label)`; indices must increase. */
  put(index: number, label: number, value: Uint8Array): void;
  /** Adds `value` under a printable-ASCII `key` greater than every key before it. */
  putKey(key: string, value: Uint8Array): void;
  /** Bytes put but not yet on disk (finished pages waiting or being written, not the open leaf). */
  readonly buffered: number;
  /**
   * Resolves at once while fewer than {@link WRITE_BUFFER_BYTES} are buffered, else once they
   * are on disk. Await it between puts to keep the writer's memory bounded.
   */
  ready(): Promise<void>;
  /** Writes every completed page to disk. */
  flush(): Promise<void>;
  /** Writes the tree's upper levels and the meta pages, syncs and closes. Idempotent. */
  close(): Promise<void>;
}

interface PageRef {
  pgno: number;
  /** First key in the page's subtree. */
  key: Buffer;
}

/**
 * One tree level above the leaves while it is built: the children of its open branch page, and
 * the last full page of the level, held back until the next one fills so that the level's last
 * page can borrow a child from it (liblmdb wants two children in every branch page).
 */
interface Level {
  held: PageRef[] | null;
  open: PageRef[];
  /** Bytes the open page's nodes take. */
  used: number;
}

class LmdbWriter implements DbWriter {
  readonly dir: string;
  #entries = 0;
  readonly #file: string;
  readonly #fh: fs.FileHandle;
  readonly #nodeMax = nodeMax(PAGE_SIZE);
  #nextPgno = 2; // pages 0 and 1 are the meta pages
  #leaf = Buffer.alloc(PAGE_SIZE);
  #lower = PAGE_HEADER_SIZE;
  #upper = PAGE_SIZE;
  #leafFirstKey: Buffer | null = null;
  #lastKey: Buffer | null = null;
  /** `#levels[d]` gathers the pages of height d + 1 (leaves at d = 0) into their parents. */
  #levels: Level[] = [];
  #pages = { branch: 0, leaf: 0, overflow: 0 };
  #pending: Buffer[] = [];
  #pendingBytes = 0;
  #pendingPgno = 2;
  #writingBytes = 0;
  #writing: Promise<void> = Promise.resolve();
  #error: unknown = null;
  #closed = false;

  constructor(dir: string, file: string, fh: fs.FileHandle) {
    this.dir = dir;
    this.#file = file;
    this.#fh = fh;
  }

  get entries(): number {
    return this.#entries;
  }

  put(index: number, label: number, value: Uint8Array): void {
    this.#add(Buffer.from(formatDatumKey(index, label), 'latin1'), value);
  }

  putKey(key: string, value: Uint8Array): void {
    assert(typeof key === 'string' && /^[\x20-\x7e]+$/.test(key), () => expected('non-empty printable ASCII string', 'key', key));
    this.#add(Buffer.from(key, 'latin1'), value);
  }

  #add(key: Buffer, value: Uint8Array): void {
    assert(!this.#closed, () => `LMDB writer for ${this.dir} is already closed`);
    this.#throwIfFailed();
    assert(value instanceof Uint8Array, () => expected('Uint8Array', 'value', value));
    // a leaf node keeps the value's size in 32 bits (mn_lo, mn_hi)
    assert(value.length <= 0xffffffff, () => `Expected a value of at most 4 GiB but received ${value.length} bytes`);
    assert(key.length <= MAX_KEY_SIZE, () => `Expected key of at most ${MAX_KEY_SIZE} bytes but received ${key.length}`);
    const last = this.#lastKey;
    assert(last === null || Buffer.compare(key, last) > 0,
      () => `Expected keys in increasing order but received "${key.toString('latin1')}" after "${last?.toString('latin1')}"`);
    const big = NODE_HEADER_SIZE + key.length + value.length > this.#nodeMax;
    const nodeSize = even(NODE_HEADER_SIZE + key.length + (big ? 8 : value.length));
    if (this.#leafFirstKey !== null && this.#lower + 2 + nodeSize > this.#upper) this.#finishLeaf();
    const leaf = this.#leaf;
    const ofs = this.#upper - nodeSize;
    leaf.writeUInt16LE(value.length & 0xffff, ofs);
    leaf.writeUInt16LE(value.length >>> 16, ofs + 2);
    leaf.writeUInt16LE(big ? F_BIGDATA : 0, ofs + 4);
    leaf.writeUInt16LE(key.length, ofs + 6);
    key.copy(leaf, ofs + NODE_HEADER_SIZE);
    const dataOfs = ofs + NODE_HEADER_SIZE + key.length;
    if (big) writeU64(leaf, dataOfs, this.#writeOverflow(value));
    else leaf.set(value, dataOfs);
    leaf.writeUInt16LE(ofs, this.#lower);
    this.#lower += 2;
    this.#upper = ofs;
    this.#leafFirstKey ??= key;
    this.#lastKey = key;
    this.#entries++;
    if (this.#pendingBytes >= WRITE_CHUNK_BYTES) this.#startWrite();
  }

  #allocate(pages: number, buf: Buffer): number {
    const pgno = this.#nextPgno;
    this.#nextPgno += pages;
    writeU64(buf, 0, pgno);
    this.#pending.push(buf);
    this.#pendingBytes += buf.length;
    return pgno;
  }

  #writeOverflow(value: Uint8Array): number {
    const count = overflowPages(value.length, PAGE_SIZE);
    const buf = Buffer.alloc(count * PAGE_SIZE);
    buf.writeUInt16LE(P_OVERFLOW, 10);
    buf.writeUInt32LE(count, 12);
    buf.set(value, PAGE_HEADER_SIZE);
    this.#pages.overflow += count;
    return this.#allocate(count, buf);
  }

  #finishLeaf(): void {
    const leaf = this.#leaf;
    leaf.writeUInt16LE(P_LEAF, 10);
    leaf.writeUInt16LE(this.#lower, 12);
    leaf.writeUInt16LE(this.#upper, 14);
    const pgno = this.#allocate(1, leaf);
    this.#pages.leaf++;
    this.#addChild(0, { pgno, key: this.#leafFirstKey as Buffer });
    this.#leaf = Buffer.alloc(PAGE_SIZE);
    this.#lower = PAGE_HEADER_SIZE;
    this.#upper = PAGE_SIZE;
    this.#leafFirstKey = null;
  }

  /**
   * Adds a finished page to level `depth`'s open branch page. When that page is full it is held
   * back and the page held before it is written, its reference going one level up; so pages are
   * packed greedily, as a whole level at once would pack them. The first node of a branch page
   * has no key (liblmdb treats it as −∞), so it takes no key bytes.
   */
  #addChild(depth: number, ref: PageRef): void {
    const level = (this.#levels[depth] ??= { held: null, open: [], used: 0 });
    const size = 2 + even(NODE_HEADER_SIZE + ref.key.length);
    if (level.open.length > 0 && level.used + size > BRANCH_CAPACITY) {
      const held = level.held;
      level.held = level.open;
      level.open = [];
      level.used = 0;
      if (held) this.#addChild(depth + 1, this.#writeBranch(held));
    }
    level.open.push(ref);
    level.used += level.open.length === 1 ? 2 + NODE_HEADER_SIZE : size;
  }

  /** Writes every level's remaining pages, bottom-up; returns the root and the tree's depth. */
  #finishLevels(): { root: number | null; depth: number } {
    for (let d = 0; d < this.#levels.length; d++) {
      const level = this.#levels[d] as Level;
      // the top level has nothing held back (else it would have a parent): one page is the root
      if (d === this.#levels.length - 1 && level.held === null && level.open.length === 1) return { root: (level.open[0] as PageRef).pgno, depth: d + 1 };
      const last = level.open;
      if (level.held) {
        if (last.length === 1) last.unshift(level.held.pop() as PageRef);
        this.#addChild(d + 1, this.#writeBranch(level.held));
      }
      this.#addChild(d + 1, this.#writeBranch(last));
    }
    return { root: null, depth: 0 };
  }

  #writeBranch(children: PageRef[]): PageRef {
    const page = Buffer.alloc(PAGE_SIZE);
    let lower = PAGE_HEADER_SIZE;
    let upper = PAGE_SIZE;
    children.forEach((child, i) => {
      const ksize = i === 0 ? 0 : child.key.length;
      const ofs = upper - even(NODE_HEADER_SIZE + ksize);
      const low32 = child.pgno % 0x100000000;
      page.writeUInt16LE(low32 & 0xffff, ofs);
      page.writeUInt16LE(low32 >>> 16, ofs + 2);
      page.writeUInt16LE(Math.floor(child.pgno / 0x100000000) & 0xffff, ofs + 4);
      page.writeUInt16LE(ksize, ofs + 6);
      if (ksize > 0) child.key.copy(page, ofs + NODE_HEADER_SIZE);
      page.writeUInt16LE(ofs, lower);
      lower += 2;
      upper = ofs;
    });
    page.writeUInt16LE(P_BRANCH, 10);
    page.writeUInt16LE(lower, 12);
    page.writeUInt16LE(upper, 14);
    this.#pages.branch++;
    return { pgno: this.#allocate(1, page), key: (children[0] as PageRef).key };
  }

  get buffered(): number {
    return this.#pendingBytes + this.#writingBytes;
  }

  #startWrite(): void {
    if (this.#pending.length === 0) return;
    const data = Buffer.concat(this.#pending, this.#pendingBytes);
    // a page number times the page size stays exact in a double up to 2^53 bytes
    const position = this.#pendingPgno * PAGE_SIZE;
    this.#pending = [];
    this.#writingBytes += this.#pendingBytes;
    this.#pendingBytes = 0;
    this.#pendingPgno = this.#nextPgno;
    this.#writing = this.#writing.then(async () => {
      if (this.#error === null) await writeFully(this.#fh, data, position);
    }).catch((err: unknown) => {
      this.#error ??= err;
    }).finally(() => {
      this.#writingBytes -= data.length;
    });
  }

  #throwIfFailed(): void {
    if (this.#error !== null) throw storageError(this.#file, this.#error);
  }

  async ready(): Promise<void> {
    this.#throwIfFailed();
    if (this.buffered >= WRITE_BUFFER_BYTES) await this.flush();
  }

  async flush(): Promise<void> {
    this.#startWrite();
    await this.#writing;
    this.#throwIfFailed();
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    try {
      if (this.#leafFirstKey !== null) this.#finishLeaf();
      const { root, depth } = this.#finishLevels();
      this.#startWrite();
      await this.#writing;
      this.#throwIfFailed();
      await this.#fh.datasync(); // data pages are durable before any meta page points at them
      const main: TreeInfo = {
        flags: 0, depth, entries: this.#entries, root,
        branchPages: this.#pages.branch, leafPages: this.#pages.leaf, overflowPages: this.#pages.overflow,
      };
      const meta = { pageSize: PAGE_SIZE, mapSize: mapSizeFor(this.#nextPgno * PAGE_SIZE), lastPage: this.#nextPgno - 1, txnId: 1, main };
      // as liblmdb leaves a fresh environment after one commit: meta 0 = empty (txn 0), meta 1 = txn 1
      const empty: TreeInfo = { flags: 0, depth: 0, branchPages: 0, leafPages: 0, overflowPages: 0, entries: 0, root: null };
      const initial = { ...meta, lastPage: 1, txnId: 0, main: empty };
      await writeFully(this.#fh, Buffer.concat([encodeMetaPage(0, initial), encodeMetaPage(1, meta)]), 0);
      await this.#fh.datasync();
    } catch (err) {
      throw storageError(this.#file, err);
    } finally {
      await this.#fh.close().catch(() => undefined);
    }
  }
}

/** liblmdb's map size in the meta: the next power of two ≥ the file (at least 1 MiB). */
function mapSizeFor(bytes: number): number {
  let size = 1 << 20;
  while (size < bytes) size *= 2;
  return size;
}

async function writeFully(fh: fs.FileHandle, data: Buffer, position: number): Promise<void> {
  let done = 0;
  while (done < data.length) {
    const { bytesWritten } = await fh.write(data, done, data.length - done, position + done);
    done += bytesWritten;
  }
}

function storageError(file: string, err: unknown): Error {
  if (isAppError(err)) return err;
  return Errors.STORAGE_FAILED(`cannot write LMDB file ${file}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
}

/**
 * Starts a new LMDB environment in directory `dir` (created if missing). Replaces any `data.mdb`
 * (and stale `lock.mdb`) already there, so a retried build can reuse its staging directory.
 */
export async function createDbWriter(dir: string): Promise<DbWriter> {
  assert(typeof dir === 'string' && dir.length > 0, () => expected('non-empty path', 'dir', dir));
  const file = path.join(dir, DATA_FILE);
  try {
    await fs.mkdir(dir, { recursive: true });
    await fs.rm(path.join(dir, LOCK_FILE), { force: true });
    const fh = await fs.open(file, 'w');
    return new LmdbWriter(dir, file, fh);
  } catch (err) {
    throw storageError(file, err);
  }
}
