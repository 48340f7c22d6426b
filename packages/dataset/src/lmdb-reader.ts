/**
 * Read-only access to an LMDB 0.9 environment directory (ours, or one DIGITS / Caffe / py-lmdb
 * wrote): walks the main B+tree of the newest meta page with positioned reads, no mmap and no
 * lock file. Meant for finished datasets; a concurrent liblmdb writer may reuse pages under it.
 */
import { assert, expected } from '@digits-ts/contracts';
import { NODE_HEADER_SIZE, P_BRANCH, P_LEAF } from './lmdb-format.ts';
import { childOf, nodeAt, numKeys, openLmdbFile, type LmdbFile } from './lmdb-file.ts';

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

const nodeKey = (page: Buffer, ofs: number): Buffer => page.subarray(ofs + NODE_HEADER_SIZE, ofs + NODE_HEADER_SIZE + page.readUInt16LE(ofs + 6));

class LmdbReader implements DbReader {
  readonly dir: string;

  constructor(private readonly db: LmdbFile) {
    this.dir = db.dir;
  }

  /** Descends from `pgno` to a leaf, choosing each branch child with `pick`; pushes branch cursors. */
  #descend(pgno: number, stack: Cursor[], pick: (page: Buffer) => number): Buffer {
    for (;;) {
      const page = this.db.readPage(pgno);
      const flags = page.readUInt16LE(10);
      if (flags & P_LEAF) return page;
      if ((flags & P_BRANCH) === 0 || numKeys(page) === 0) throw this.db.corrupt(`page ${pgno} is neither a branch nor a leaf`);
      const index = pick(page);
      stack.push({ page, index });
      const ofs = nodeAt(page, index);
      pgno = childOf(page, ofs);
    }
  }

  /** The next leaf to the right of the path in `stack`, or null at the end. */
  #nextLeaf(stack: Cursor[]): Buffer | null {
    while (stack.length > 0) {
      const top = stack[stack.length - 1] as Cursor;
      if (top.index + 1 < numKeys(top.page)) {
        top.index++;
        return this.#descend(childOf(top.page, nodeAt(top.page, top.index)), stack, () => 0);
      }
      stack.pop();
    }
    return null;
  }

  /** Positions at the first entry ≥ `target`; the leaf index may equal its key count. */
  #seek(target: Buffer, stack: Cursor[]): Cursor | null {
    if (this.db.meta.main.root === null) return null;
    const page = this.#descend(this.db.meta.main.root, stack, (branch) => {
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
    return this.db.meta.main.entries;
  }

  stat(): DbStat {
    const { depth, branchPages, leafPages, overflowPages, entries } = this.db.meta.main;
    return { pageSize: this.db.meta.pageSize, depth, branchPages, leafPages, overflowPages, entries };
  }

  get(key: string): Buffer | undefined {
    assert(typeof key === 'string', () => expected('string', 'key', key));
    const target = Buffer.from(key, 'latin1');
    const at = this.#seek(target, []);
    if (!at || at.index >= numKeys(at.page)) return undefined;
    const ofs = nodeAt(at.page, at.index);
    return nodeKey(at.page, ofs).equals(target) ? this.db.value(at.page, ofs) : undefined;
  }

  *entries(options: EntriesOptions = {}): Generator<DbEntry, void, undefined> {
    for (const { page, ofs } of this.#nodes(options)) yield { key: nodeKey(page, ofs).toString('latin1'), value: this.db.value(page, ofs) };
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
    const root = this.db.meta.main.root;
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
    this.db.close();
  }
}

/** Opens the LMDB environment directory `dir` (containing `data.mdb`) read-only. */
export function openDbReader(dir: string): DbReader {
  return new LmdbReader(openLmdbFile(dir));
}
