/**
 * Random access to an LMDB environment's entries by position (0 = the first key): lists the
 * main tree's leaf pages once at open (page number and first entry of each: a few bytes per
 * leaf, not per entry), then reads entry i with one positioned read of its leaf (and of its
 * overflow pages for a large value). For training's streaming read-ahead, which reads a shuffled
 * order. Read-only, no mmap, no lock file, like `lmdb-reader.ts`; meant for finished datasets.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Errors, assert, expected, isAppError } from '@digits-ts/contracts';
import {
  F_BIGDATA, F_DUPDATA, F_SUBDATA, META_BYTES, NODE_HEADER_SIZE, PAGE_HEADER_SIZE, P_BRANCH, P_LEAF, P_OVERFLOW,
  decodeMetaPage, readU64, type MetaInfo,
} from './lmdb-format.ts';
import { DATA_FILE } from './lmdb-store.ts';

/** An open environment whose entries are read by position. */
export interface DbIndex {
  readonly dir: string;
  /** Number of entries. */
  readonly count: number;
  /** The value of entry `position` (key order), a buffer of its own. */
  value(position: number): Buffer;
  close(): void;
}

const numKeys = (page: Buffer): number => (page.readUInt16LE(12) - PAGE_HEADER_SIZE) >> 1;
const nodeAt = (page: Buffer, i: number): number => page.readUInt16LE(PAGE_HEADER_SIZE + 2 * i);
const childOf = (page: Buffer, ofs: number): number => page.readUInt16LE(ofs) + page.readUInt16LE(ofs + 2) * 0x10000 + page.readUInt16LE(ofs + 4) * 0x100000000;

class LmdbIndex implements DbIndex {
  readonly count: number;
  readonly #file: string;
  readonly #fd: number;
  readonly #meta: MetaInfo;
  /** Leaf page numbers in key order, and the position of each leaf's first entry (one more: the count). */
  readonly #leaves: Float64Array;
  readonly #starts: Float64Array;
  #closed = false;

  constructor(readonly dir: string, file: string, fd: number) {
    this.#file = file;
    this.#fd = fd;
    this.#meta = this.#readMeta();
    const leaves: number[] = [];
    const starts: number[] = [0];
    if (this.#meta.main.root !== null) this.#listLeaves(this.#meta.main.root, leaves, starts);
    this.#leaves = Float64Array.from(leaves);
    this.#starts = Float64Array.from(starts);
    this.count = starts[starts.length - 1]!;
    if (this.count !== this.#meta.main.entries) throw this.#corrupt(`the leaves hold ${this.count} entries, the meta page says ${this.#meta.main.entries}`);
  }

  #corrupt(reason: string): Error {
    return Errors.DATASET_NOT_READY(`${this.#file} is not a readable LMDB environment: ${reason}`);
  }

  #read(buf: Buffer, position: number): number {
    assert(!this.#closed, () => `LMDB index for ${this.dir} is closed`);
    try {
      return fs.readSync(this.#fd, buf, 0, buf.length, position);
    } catch (err) {
      throw Errors.STORAGE_FAILED(`cannot read ${this.#file}: ${(err as Error).message}`, { cause: err });
    }
  }

  #readMeta(): MetaInfo {
    const metas: MetaInfo[] = [];
    let pageSize = 0;
    for (const at of [0, 1]) {
      const buf = Buffer.alloc(META_BYTES);
      this.#read(buf, at * pageSize);
      const m = decodeMetaPage(buf);
      if (!m.ok) throw this.#corrupt(m.reason);
      pageSize = m.meta.pageSize;
      if (pageSize < 512 || pageSize > 65536 || (pageSize & (pageSize - 1)) !== 0) throw this.#corrupt(`bad page size ${pageSize}`);
      metas.push(m.meta);
    }
    const meta = metas[1]!.txnId > metas[0]!.txnId ? metas[1]! : metas[0]!;
    if (meta.main.flags !== 0) throw this.#corrupt(`main database flags 0x${meta.main.flags.toString(16)} (dupsort/integer keys) are not supported`);
    return meta;
  }

  #readPage(pgno: number, bytes = this.#meta.pageSize): Buffer {
    if (pgno < 2 || pgno > this.#meta.lastPage) throw this.#corrupt(`page ${pgno} is outside 2..${this.#meta.lastPage}`);
    const page = Buffer.allocUnsafe(bytes);
    if (this.#read(page, pgno * this.#meta.pageSize) !== bytes) throw this.#corrupt(`page ${pgno} is truncated`);
    return page;
  }

  /** Appends the leaves under page `pgno` in key order; of a leaf only its header is read. */
  #listLeaves(pgno: number, leaves: number[], starts: number[]): void {
    const header = this.#readPage(pgno, PAGE_HEADER_SIZE);
    const flags = header.readUInt16LE(10);
    if (flags & P_LEAF) {
      leaves.push(pgno);
      starts.push(starts[starts.length - 1]! + numKeys(header));
      return;
    }
    if ((flags & P_BRANCH) === 0 || numKeys(header) === 0) throw this.#corrupt(`page ${pgno} is neither a branch nor a leaf`);
    const page = this.#readPage(pgno);
    for (let i = 0; i < numKeys(page); i++) this.#listLeaves(childOf(page, nodeAt(page, i)), leaves, starts);
  }

  /** The leaf holding entry `position`: the last whose first entry is ≤ it. */
  #leafOf(position: number): number {
    let lo = 0;
    let hi = this.#leaves.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.#starts[mid]! <= position) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  value(position: number): Buffer {
    assert(Number.isInteger(position) && position >= 0 && position < this.count, () => expected(`entry position in 0..${this.count - 1}`, 'position', position));
    const leaf = this.#leafOf(position);
    const page = this.#readPage(this.#leaves[leaf]!);
    const ofs = nodeAt(page, position - this.#starts[leaf]!);
    const flags = page.readUInt16LE(ofs + 4);
    const size = page.readUInt16LE(ofs) + page.readUInt16LE(ofs + 2) * 0x10000;
    const dataOfs = ofs + NODE_HEADER_SIZE + page.readUInt16LE(ofs + 6);
    if (flags & (F_DUPDATA | F_SUBDATA)) throw this.#corrupt('duplicate-key or sub-database nodes are not supported');
    if ((flags & F_BIGDATA) === 0) return page.subarray(dataOfs, dataOfs + size);
    const pgno = readU64(page, dataOfs);
    const buf = this.#readPage(pgno, PAGE_HEADER_SIZE + size);
    if ((buf.readUInt16LE(10) & P_OVERFLOW) === 0) throw this.#corrupt(`page ${pgno} is not an overflow page`);
    return buf.subarray(PAGE_HEADER_SIZE);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    fs.closeSync(this.#fd);
  }
}

/** Opens the LMDB environment directory `dir` (containing `data.mdb`) for reads by position. */
export function openDbIndex(dir: string): DbIndex {
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
    return new LmdbIndex(dir, file, fd);
  } catch (err) {
    fs.closeSync(fd);
    throw isAppError(err) ? err : Errors.STORAGE_FAILED(`cannot read ${file}`, { cause: err });
  }
}
