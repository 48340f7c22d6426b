/**
 * Random access to an LMDB environment's entries by position (0 = the first key): lists the
 * main tree's leaf pages once at open (page number and first entry of each: a few bytes per
 * leaf, not per entry), then reads entry i with one positioned read of its leaf (and of its
 * overflow pages for a large value). For training's streaming read-ahead, which reads a shuffled
 * order. Read-only, no mmap, no lock file, like `lmdb-reader.ts`; meant for finished datasets.
 */
import { assert, expected } from '@digits-ts/contracts';
import { PAGE_HEADER_SIZE, P_BRANCH, P_LEAF } from './lmdb-format.ts';
import { childOf, nodeAt, numKeys, openLmdbFile, type LmdbFile } from './lmdb-file.ts';

/** An open environment whose entries are read by position. */
export interface DbIndex {
  readonly dir: string;
  /** Number of entries. */
  readonly count: number;
  /** The value of entry `position` (key order), a buffer of its own. */
  value(position: number): Buffer;
  close(): void;
}

class LmdbIndex implements DbIndex {
  readonly dir: string;
  readonly count: number;
  /** Leaf page numbers in key order, and the position of each leaf's first entry (one more: the count). */
  readonly #leaves: Float64Array;
  readonly #starts: Float64Array;

  constructor(private readonly db: LmdbFile) {
    this.dir = db.dir;
    const leaves: number[] = [];
    const starts: number[] = [0];
    if (db.meta.main.root !== null) this.#listLeaves(db.meta.main.root, leaves, starts);
    this.#leaves = Float64Array.from(leaves);
    this.#starts = Float64Array.from(starts);
    this.count = starts[starts.length - 1]!;
    if (this.count !== db.meta.main.entries) throw db.corrupt(`the leaves hold ${this.count} entries, the meta page says ${db.meta.main.entries}`);
  }

  /** Appends the leaves under page `pgno` in key order; of a leaf only its header is read. */
  #listLeaves(pgno: number, leaves: number[], starts: number[]): void {
    const header = this.db.readPage(pgno, PAGE_HEADER_SIZE);
    const flags = header.readUInt16LE(10);
    if (flags & P_LEAF) {
      leaves.push(pgno);
      starts.push(starts[starts.length - 1]! + numKeys(header));
      return;
    }
    if ((flags & P_BRANCH) === 0 || numKeys(header) === 0) throw this.db.corrupt(`page ${pgno} is neither a branch nor a leaf`);
    const page = this.db.readPage(pgno);
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
    const page = this.db.readPage(this.#leaves[leaf]!);
    return this.db.value(page, nodeAt(page, position - this.#starts[leaf]!));
  }

  close(): void {
    this.db.close();
  }
}

/** Opens the LMDB environment directory `dir` (containing `data.mdb`) for reads by position. */
export function openDbIndex(dir: string): DbIndex {
  const db = openLmdbFile(dir);
  try {
    return new LmdbIndex(db);
  } catch (err) {
    db.close();
    throw err;
  }
}
