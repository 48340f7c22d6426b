/**
 * Read-only access to an LMDB 0.9 environment directory (ours, or one DIGITS / Caffe / py-lmdb
 * wrote): walks the main B+tree of the newest meta page with positioned reads, no mmap and no
 * lock file. Meant for finished datasets; a concurrent liblmdb writer may reuse pages under it.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Errors, assert, expected, isAppError } from '@digits-ts/contracts';
import {
  F_BIGDATA, F_DUPDATA, F_SUBDATA, META_BYTES, NODE_HEADER_SIZE, PAGE_HEADER_SIZE, P_BRANCH, P_LEAF, P_OVERFLOW,
  decodeMetaPage, readU64, type MetaInfo,
} from './lmdb-format.ts';
import { DATA_FILE } from './lmdb-store.ts';

/** One key/value pair; `key` is the raw key bytes as latin1 (DIGITS keys are ASCII). */
export interface DbEntry {
  key: string;
  value: Buffer;
}

/** Where a range starts: a key (first entry ≥ it) or a number of entries to skip. */
export interface EntriesOptions {
  start?: string | number;
  /** Most entries to return. */
  limit?: number;
}

/** Tree statistics, as `mdb_stat` / py-lmdb `env.stat()` report them. */
export interface DbStat {
  pageSize: number;
  depth: number;
  branchPages: number;
  leafPages: number;
  overflowPages: number;
  entries: number;
}

/** An open, read-only LMDB environment. */
export interface DbReader {
  readonly dir: string;
  /** Number of entries. */
  count(): number;
  stat(): DbStat;
  /** The value stored under `key`, or undefined. */
  get(key: string): Buffer | undefined;
  /** Entries in key order (which is write order for our keys). */
  entries(options?: EntriesOptions): Generator<DbEntry, void, undefined>;
  /** Keys in key order, without reading values (large values live on overflow pages, left unread). */
  keys(options?: EntriesOptions): Generator<string, void, undefined>;
  close(): void;
}

interface Cursor {
  page: Buffer;
  index: number;
}

const numKeys = (page: Buffer): number => (page.readUInt16LE(12) - PAGE_HEADER_SIZE) >> 1;
const nodeAt = (page: Buffer, i: number): number => page.readUInt16LE(PAGE_HEADER_SIZE + 2 * i);
const nodeKey = (page: Buffer, ofs: number): Buffer => page.subarray(ofs + NODE_HEADER_SIZE, ofs + NODE_HEADER_SIZE + page.readUInt16LE(ofs + 6));

class LmdbReader implements DbReader {
  readonly dir: string;
  readonly #file: string;
  readonly #fd: number;
  readonly #meta: MetaInfo;
  #closed = false;

  constructor(dir: string, file: string, fd: number) {
    this.dir = dir;
    this.#file = file;
    this.#fd = fd;
    this.#meta = this.#readMeta();
  }

  #corrupt(reason: string): Error {
    return Errors.DATASET_NOT_READY(`${this.#file} is not a readable LMDB environment: ${reason}`);
  }

  #read(buf: Buffer, position: number): number {
    assert(!this.#closed, () => `LMDB reader for ${this.dir} is closed`);
    try {
      return fs.readSync(this.#fd, buf, 0, buf.length, position);
    } catch (err) {
      throw Errors.STORAGE_FAILED(`cannot read ${this.#file}: ${(err as Error).message}`, { cause: err });
    }
  }

  #readMeta(): MetaInfo {
    const first = Buffer.alloc(META_BYTES);
    this.#read(first, 0);
    const m0 = decodeMetaPage(first);
    if (!m0.ok) throw this.#corrupt(m0.reason);
    const pageSize = m0.meta.pageSize;
    if (pageSize < 512 || pageSize > 65536 || (pageSize & (pageSize - 1)) !== 0) throw this.#corrupt(`bad page size ${pageSize}`);
    const second = Buffer.alloc(META_BYTES);
    this.#read(second, pageSize);
    const m1 = decodeMetaPage(second);
    if (!m1.ok) throw this.#corrupt(m1.reason);
    const meta = m1.meta.txnId > m0.meta.txnId ? m1.meta : m0.meta;
    if (meta.main.flags !== 0) throw this.#corrupt(`main database flags 0x${meta.main.flags.toString(16)} (dupsort/integer keys) are not supported`);
    return meta;
  }

  #readPage(pgno: number): Buffer {
    if (pgno < 2 || pgno > this.#meta.lastPage) throw this.#corrupt(`page ${pgno} is outside 2..${this.#meta.lastPage}`);
    const page = Buffer.allocUnsafe(this.#meta.pageSize);
    if (this.#read(page, pgno * this.#meta.pageSize) !== page.length) throw this.#corrupt(`page ${pgno} is truncated`);
    return page;
  }

  #value(page: Buffer, ofs: number): Buffer {
    const flags = page.readUInt16LE(ofs + 4);
    const size = page.readUInt16LE(ofs) + page.readUInt16LE(ofs + 2) * 0x10000;
    const dataOfs = ofs + NODE_HEADER_SIZE + page.readUInt16LE(ofs + 6);
    if (flags & (F_DUPDATA | F_SUBDATA)) throw this.#corrupt('duplicate-key or sub-database nodes are not supported');
    if ((flags & F_BIGDATA) === 0) return page.subarray(dataOfs, dataOfs + size);
    const pgno = readU64(page, dataOfs);
    const buf = Buffer.allocUnsafe(PAGE_HEADER_SIZE + size);
    if (pgno < 2 || pgno > this.#meta.lastPage || this.#read(buf, pgno * this.#meta.pageSize) !== buf.length) {
      throw this.#corrupt(`overflow value at page ${pgno} is truncated`);
    }
    if ((buf.readUInt16LE(10) & P_OVERFLOW) === 0) throw this.#corrupt(`page ${pgno} is not an overflow page`);
    return buf.subarray(PAGE_HEADER_SIZE);
  }

  /** Descends from `pgno` to a leaf, choosing each branch child with `pick`; pushes branch cursors. */
  #descend(pgno: number, stack: Cursor[], pick: (page: Buffer) => number): Buffer {
    for (;;) {
      const page = this.#readPage(pgno);
      const flags = page.readUInt16LE(10);
      if (flags & P_LEAF) return page;
      if ((flags & P_BRANCH) === 0 || numKeys(page) === 0) throw this.#corrupt(`page ${pgno} is neither a branch nor a leaf`);
      const index = pick(page);
      stack.push({ page, index });
      const ofs = nodeAt(page, index);
      pgno = page.readUInt16LE(ofs) + page.readUInt16LE(ofs + 2) * 0x10000 + page.readUInt16LE(ofs + 4) * 0x100000000;
    }
  }

  /** The next leaf to the right of the path in `stack`, or null at the end. */
  #nextLeaf(stack: Cursor[]): Buffer | null {
    while (stack.length > 0) {
      const top = stack[stack.length - 1] as Cursor;
      if (top.index + 1 < numKeys(top.page)) {
        top.index++;
        const ofs = nodeAt(top.page, top.index);
        const pgno = top.page.readUInt16LE(ofs) + top.page.readUInt16LE(ofs + 2) * 0x10000 + top.page.readUInt16LE(ofs + 4) * 0x100000000;
        return this.#descend(pgno, stack, () => 0);
      }
      stack.pop();
    }
    return null;
  }

  /** Positions at the first entry ≥ `target`; the leaf index may equal its key count. */
  #seek(target: Buffer, stack: Cursor[]): Cursor | null {
    if (this.#meta.main.root === null) return null;
    const page = this.#descend(this.#meta.main.root, stack, (branch) => {
      let lo = 1; // a branch page's first key is implicitly −∞
      let hi = numKeys(branch) - 1;
      while (lo <= hi) {
        const mid = (lo + hi) >> 1;
        if (Buffer.compare(nodeKey(branch, nodeAt(branch, mid)), target) <= 0) lo = mid + 1;
        else hi = mid - 1;
      }
      return lo - 1;
    });
    let lo = 0;
    let hi = numKeys(page);
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (Buffer.compare(nodeKey(page, nodeAt(page, mid)), target) < 0) lo = mid + 1;
      else hi = mid;
    }
    return { page, index: lo };
  }

  count(): number {
    return this.#meta.main.entries;
  }

  stat(): DbStat {
    const { depth, branchPages, leafPages, overflowPages, entries } = this.#meta.main;
    return { pageSize: this.#meta.pageSize, depth, branchPages, leafPages, overflowPages, entries };
  }

  get(key: string): Buffer | undefined {
    assert(typeof key === 'string', () => expected('string', 'key', key));
    const target = Buffer.from(key, 'latin1');
    const at = this.#seek(target, []);
    if (!at || at.index >= numKeys(at.page)) return undefined;
    const ofs = nodeAt(at.page, at.index);
    return nodeKey(at.page, ofs).equals(target) ? this.#value(at.page, ofs) : undefined;
  }

  *entries(options: EntriesOptions = {}): Generator<DbEntry, void, undefined> {
    for (const { page, ofs } of this.#nodes(options)) yield { key: nodeKey(page, ofs).toString('latin1'), value: this.#value(page, ofs) };
  }

  *keys(options: EntriesOptions = {}): Generator<string, void, undefined> {
    for (const { page, ofs } of this.#nodes(options)) yield nodeKey(page, ofs).toString('latin1');
  }

  /** The leaf nodes of a range, in key order, as (page, node offset). */
  *#nodes(options: EntriesOptions): Generator<{ page: Buffer; ofs: number }, void, undefined> {
    const { start, limit = Infinity } = options;
    assert(limit === Infinity || (Number.isInteger(limit) && limit >= 0), () => expected('non-negative integer', 'limit', limit));
    assert(start === undefined || typeof start === 'string' || (Number.isInteger(start) && start >= 0),
      () => expected('key string or non-negative integer', 'start', start));
    const root = this.#meta.main.root;
    if (root === null || limit === 0) return;
    const stack: Cursor[] = [];
    let cursor: Cursor | null;
    if (typeof start === 'string') {
      cursor = this.#seek(Buffer.from(start, 'latin1'), stack);
    } else {
      cursor = { page: this.#descend(root, stack, () => 0), index: 0 };
      let skip = start ?? 0;
      while (cursor && skip >= numKeys(cursor.page)) {
        skip -= numKeys(cursor.page);
        const next = this.#nextLeaf(stack);
        cursor = next && { page: next, index: 0 };
      }
      if (cursor) cursor.index = skip;
    }
    let produced = 0;
    while (cursor && produced < limit) {
      if (cursor.index >= numKeys(cursor.page)) {
        const next = this.#nextLeaf(stack);
        cursor = next && { page: next, index: 0 };
        continue;
      }
      const page = cursor.page;
      yield { page, ofs: nodeAt(page, cursor.index++) };
      produced++;
    }
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    fs.closeSync(this.#fd);
  }
}

/** Opens the LMDB environment directory `dir` (containing `data.mdb`) read-only. */
export function openDbReader(dir: string): DbReader {
  assert(typeof dir === 'string' && dir.length > 0, () => expected('non-empty path', 'dir', dir));
  const file = path.join(dir, DATA_FILE);
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw Errors.DATASET_NOT_FOUND(`no LMDB environment at ${dir} (missing ${DATA_FILE})`, { cause: err });
    throw Errors.STORAGE_FAILED(`cannot open ${file}: ${(err as Error).message}`, { cause: err });
  }
  try {
    return new LmdbReader(dir, file, fd);
  } catch (err) {
    fs.closeSync(fd);
    throw isAppError(err) ? err : Errors.STORAGE_FAILED(`cannot read ${file}`, { cause: err });
  }
}
