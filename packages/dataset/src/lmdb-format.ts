/**
 * The LMDB 0.9 on-disk format (data version 1, 64-bit little-endian), as read by Caffe, py-lmdb
 * and every liblmdb 0.9.x. Layouts follow `mdb.c` (MDB_page, MDB_node, MDB_db, MDB_meta).
 *
 * Why not lmdb-js: its prebuilt binaries use LMDB 0.9.90 ("data version 2"), whose files
 * liblmdb 0.9.x refuses (MDB_INVALID), so DIGITS and Caffe could not read what it writes.
 */

/** Page size we write (the x86-64 OS page size liblmdb would pick). Readers use the file's own. */
export const PAGE_SIZE = 4096;
/** `MDB_MAGIC`. */
export const MDB_MAGIC = 0xbeefc0de;
/** `MDB_DATA_VERSION` of liblmdb 0.9.x. */
export const MDB_DATA_VERSION = 1;
/** `PAGEHDRSZ`: pgno (8) + pad (2) + flags (2) + lower/upper or overflow page count (4). */
export const PAGE_HEADER_SIZE = 16;
/** `NODESIZE`: lo, hi, flags, ksize (2 bytes each). */
export const NODE_HEADER_SIZE = 8;
/** `MDB_MAXKEYSIZE`. */
export const MAX_KEY_SIZE = 511;

export const P_BRANCH = 0x01;
export const P_LEAF = 0x02;
export const P_OVERFLOW = 0x04;
export const P_META = 0x08;
export const P_LEAF2 = 0x20;
export const F_BIGDATA = 0x01;
export const F_SUBDATA = 0x02;
export const F_DUPDATA = 0x04;
/** `MDB_INTEGERKEY`, which liblmdb sets on the free-page DB. */
export const MDB_INTEGERKEY = 0x08;

/** `me_nodemax`: a leaf node (header + key + data) larger than this moves its data to overflow pages. */
export function nodeMax(pageSize: number): number {
  return ((Math.floor((pageSize - PAGE_HEADER_SIZE) / 2)) & -2) - 2;
}

/** `OVPAGES`: pages needed for an overflow value of `size` bytes. */
export function overflowPages(size: number, pageSize: number): number {
  return Math.floor((PAGE_HEADER_SIZE - 1 + size) / pageSize) + 1;
}

/** `EVEN`: nodes are 2-byte aligned. */
export function even(n: number): number {
  return (n + 1) & ~1;
}

/** One B-tree's statistics and root (`MDB_db`). `root` is null for an empty tree (P_INVALID). */
export interface TreeInfo {
  flags: number;
  depth: number;
  branchPages: number;
  leafPages: number;
  overflowPages: number;
  entries: number;
  root: number | null;
}

/** The parts of `MDB_meta` we use. */
export interface MetaInfo {
  pageSize: number;
  mapSize: number;
  lastPage: number;
  txnId: number;
  main: TreeInfo;
}

const META_OFFSET = PAGE_HEADER_SIZE;
const DB_SIZE = 48;
const FREE_DB_OFFSET = META_OFFSET + 24;
const MAIN_DB_OFFSET = FREE_DB_OFFSET + DB_SIZE;
const LAST_PAGE_OFFSET = MAIN_DB_OFFSET + DB_SIZE;
const TXNID_OFFSET = LAST_PAGE_OFFSET + 8;
/** Bytes of a meta page that carry data (`sizeof(MDB_metabuf)`). */
export const META_BYTES = TXNID_OFFSET + 8;

/** Reads a 64-bit little-endian page number or count (exact up to 2^53). */
export function readU64(buf: Buffer, offset: number): number {
  return buf.readUInt32LE(offset) + buf.readUInt32LE(offset + 4) * 0x100000000;
}

/** Writes a non-negative integer (< 2^53) as 64-bit little-endian. */
export function writeU64(buf: Buffer, offset: number, value: number): void {
  buf.writeUInt32LE(value % 0x100000000, offset);
  buf.writeUInt32LE(Math.floor(value / 0x100000000), offset + 4);
}

function isInvalidPage(buf: Buffer, offset: number): boolean {
  return buf.readUInt32LE(offset) === 0xffffffff && buf.readUInt32LE(offset + 4) === 0xffffffff;
}

function writeTree(buf: Buffer, offset: number, tree: TreeInfo, pad: number): void {
  buf.writeUInt32LE(pad, offset);
  buf.writeUInt16LE(tree.flags, offset + 4);
  buf.writeUInt16LE(tree.depth, offset + 6);
  writeU64(buf, offset + 8, tree.branchPages);
  writeU64(buf, offset + 16, tree.leafPages);
  writeU64(buf, offset + 24, tree.overflowPages);
  writeU64(buf, offset + 32, tree.entries);
  if (tree.root === null) buf.fill(0xff, offset + 40, offset + 48);
  else writeU64(buf, offset + 40, tree.root);
}

function readTree(buf: Buffer, offset: number): TreeInfo {
  return {
    flags: buf.readUInt16LE(offset + 4),
    depth: buf.readUInt16LE(offset + 6),
    branchPages: readU64(buf, offset + 8),
    leafPages: readU64(buf, offset + 16),
    overflowPages: readU64(buf, offset + 24),
    entries: readU64(buf, offset + 32),
    root: isInvalidPage(buf, offset + 40) ? null : readU64(buf, offset + 40),
  };
}

/** Builds meta page `pgno` (0 or 1) with an empty free-page DB and the given main tree. */
export function encodeMetaPage(pgno: number, meta: MetaInfo): Buffer {
  const page = Buffer.alloc(meta.pageSize);
  writeU64(page, 0, pgno);
  page.writeUInt16LE(P_META, 10);
  page.writeUInt32LE(MDB_MAGIC, META_OFFSET);
  page.writeUInt32LE(MDB_DATA_VERSION, META_OFFSET + 4);
  writeU64(page, META_OFFSET + 16, meta.mapSize);
  const free: TreeInfo = { flags: MDB_INTEGERKEY, depth: 0, branchPages: 0, leafPages: 0, overflowPages: 0, entries: 0, root: null };
  writeTree(page, FREE_DB_OFFSET, free, meta.pageSize); // mm_psize lives in the free DB's md_pad
  writeTree(page, MAIN_DB_OFFSET, meta.main, 0);
  writeU64(page, LAST_PAGE_OFFSET, meta.lastPage);
  writeU64(page, TXNID_OFFSET, meta.txnId);
  return page;
}

/** Why a meta page is unusable, or its contents. */
export type MetaResult = { ok: true; meta: MetaInfo } | { ok: false; reason: string };

/** Parses the first `META_BYTES` of a meta page. */
export function decodeMetaPage(buf: Buffer): MetaResult {
  if (buf.length < META_BYTES) return { ok: false, reason: 'file is too short for an LMDB meta page' };
  if ((buf.readUInt16LE(10) & P_META) === 0) return { ok: false, reason: 'page is not a meta page' };
  if (buf.readUInt32LE(META_OFFSET) !== MDB_MAGIC) return { ok: false, reason: 'meta page has no LMDB magic' };
  const version = buf.readUInt32LE(META_OFFSET + 4);
  if (version !== MDB_DATA_VERSION) {
    return { ok: false, reason: `LMDB data version ${version} is not supported (expected ${MDB_DATA_VERSION}, liblmdb 0.9.x)` };
  }
  return {
    ok: true,
    meta: {
      pageSize: buf.readUInt32LE(FREE_DB_OFFSET),
      mapSize: readU64(buf, META_OFFSET + 16),
      lastPage: readU64(buf, LAST_PAGE_OFFSET),
      txnId: readU64(buf, TXNID_OFFSET),
      main: readTree(buf, MAIN_DB_OFFSET),
    },
  };
}
