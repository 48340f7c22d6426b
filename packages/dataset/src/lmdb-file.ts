/**
 * An LMDB 0.9 environment's `data.mdb` opened for positioned reads (no mmap, no lock file): the
 * newest meta page, pages by number, a node's value (inline or on overflow pages), and the errors
 * a damaged file gives. Shared by `lmdb-reader.ts` (key order, lookups) and `lmdb-index.ts`
 * (entries by position).
 */
import fs from 'node:fs';
import path from 'node:path';
import { Errors, assert, expected, isAppError } from '@digits-ts/contracts';
import {
  F_BIGDATA, F_DUPDATA, F_SUBDATA, META_BYTES, NODE_HEADER_SIZE, PAGE_HEADER_SIZE, P_OVERFLOW,
  decodeMetaPage, readU64, type MetaInfo,
} from './lmdb-format.ts';
import { DATA_FILE } from './lmdb-store.ts';

/** Keys (nodes) on a branch or leaf page. */
export const numKeys = (page: Buffer): number => (page.readUInt16LE(12) - PAGE_HEADER_SIZE) >> 1;
/** Offset of node `i` within its page. */
export const nodeAt = (page: Buffer, i: number): number => page.readUInt16LE(PAGE_HEADER_SIZE + 2 * i);
/** The child page number a branch node points to (48 bits over three u16). */
export const childOf = (page: Buffer, ofs: number): number => page.readUInt16LE(ofs) + page.readUInt16LE(ofs + 2) * 0x10000 + page.readUInt16LE(ofs + 4) * 0x100000000;

export class LmdbFile {
  readonly meta: MetaInfo;
  #closed = false;

  constructor(readonly dir: string, readonly file: string, private readonly fd: number) {
    this.meta = this.#readMeta();
  }

  /** The error a damaged or foreign file gives. */
  corrupt(reason: string): Error {
    return Errors.DATASET_NOT_READY(`${this.file} is not a readable LMDB environment: ${reason}`);
  }

  read(buf: Buffer, position: number): number {
    assert(!this.#closed, () => `LMDB environment ${this.dir} is closed`);
    try {
      return fs.readSync(this.fd, buf, 0, buf.length, position);
    } catch (err) {
      throw Errors.STORAGE_FAILED(`cannot read ${this.file}: ${(err as Error).message}`, { cause: err });
    }
  }

  #readMeta(): MetaInfo {
    const metas: MetaInfo[] = [];
    let pageSize = 0;
    for (const at of [0, 1]) {
      const buf = Buffer.alloc(META_BYTES);
      this.read(buf, at * pageSize);
      const m = decodeMetaPage(buf);
      if (!m.ok) throw this.corrupt(m.reason);
      pageSize = m.meta.pageSize;
      if (pageSize < 512 || pageSize > 65536 || (pageSize & (pageSize - 1)) !== 0) throw this.corrupt(`bad page size ${pageSize}`);
      metas.push(m.meta);
    }
    const meta = metas[1]!.txnId > metas[0]!.txnId ? metas[1]! : metas[0]!;
    if (meta.main.flags !== 0) throw this.corrupt(`main database flags 0x${meta.main.flags.toString(16)} (dupsort/integer keys) are not supported`);
    return meta;
  }

  /** Page `pgno`, or only its first `bytes` (a header is enough to tell a leaf). */
  readPage(pgno: number, bytes = this.meta.pageSize): Buffer {
    if (pgno < 2 || pgno > this.meta.lastPage) throw this.corrupt(`page ${pgno} is outside 2..${this.meta.lastPage}`);
    const page = Buffer.allocUnsafe(bytes);
    if (this.read(page, pgno * this.meta.pageSize) !== bytes) throw this.corrupt(`page ${pgno} is truncated`);
    return page;
  }

  /** The value of the leaf node at `ofs`: a view of `page` when inline, else read from its overflow pages. */
  value(page: Buffer, ofs: number): Buffer {
    const flags = page.readUInt16LE(ofs + 4);
    const size = page.readUInt16LE(ofs) + page.readUInt16LE(ofs + 2) * 0x10000;
    const dataOfs = ofs + NODE_HEADER_SIZE + page.readUInt16LE(ofs + 6);
    if (flags & (F_DUPDATA | F_SUBDATA)) throw this.corrupt('duplicate-key or sub-database nodes are not supported');
    if ((flags & F_BIGDATA) === 0) return page.subarray(dataOfs, dataOfs + size);
    const pgno = readU64(page, dataOfs);
    const buf = Buffer.allocUnsafe(PAGE_HEADER_SIZE + size);
    if (pgno < 2 || pgno > this.meta.lastPage || this.read(buf, pgno * this.meta.pageSize) !== buf.length) {
      throw this.corrupt(`overflow value at page ${pgno} is truncated`);
    }
    if ((buf.readUInt16LE(10) & P_OVERFLOW) === 0) throw this.corrupt(`page ${pgno} is not an overflow page`);
    return buf.subarray(PAGE_HEADER_SIZE);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    fs.closeSync(this.fd);
  }
}

/** Opens the environment directory `dir` (containing `data.mdb`) and reads its meta pages. */
export function openLmdbFile(dir: string): LmdbFile {
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
    return new LmdbFile(dir, file, fd);
  } catch (err) {
    fs.closeSync(fd);
    throw isAppError(err) ? err : Errors.STORAGE_FAILED(`cannot read ${file}`, { cause: err });
  }
}
