/**
 * Paging through a dataset DB for the explorer (contract §4.2), with an optional class filter.
 * It streams the DB: skipping walks leaf pages and counting walks keys, so only the page's own
 * entries (at most EXPLORE_MAX_PAGE_SIZE) are ever held, whatever the DB's size.
 */
import { assert, expected } from '@digits-ts/contracts';
import { decodeDatum } from './caffe.ts';
import { labelOfDatumKey } from './lmdb-store.ts';
import type { DbEntry, DbReader } from './lmdb-reader.ts';

export interface DbPageOptions {
  /** Zero-based page number. */
  page: number;
  /** Entries per page. */
  size: number;
  /** Only entries of this class; null → every entry. */
  label: number | null;
}

export interface DbPage {
  /** Entries matching the filter. */
  total: number;
  /** The page's entries, in key order. */
  entries: DbEntry[];
}

function checkOptions({ page, size, label }: DbPageOptions): void {
  assert(Number.isInteger(page) && page >= 0, () => expected('non-negative integer', 'page', page));
  assert(Number.isInteger(size) && size >= 1, () => expected('positive integer', 'size', size));
  assert(label === null || (Number.isInteger(label) && label >= 0), () => expected('non-negative integer or null', 'label', label));
}

/**
 * Entries `page·size` … `page·size + size − 1` of `reader` in key order, among those of class
 * `label` when one is given. The filter reads the class from each `%08d_%d` key, so it walks
 * keys only; a key without one costs a read of its Datum.
 */
export function readDbPage(reader: DbReader, options: DbPageOptions): DbPage {
  checkOptions(options);
  const { page, size, label } = options;
  const first = page * size;
  if (label === null) return { total: reader.count(), entries: [...reader.entries({ start: first, limit: size })] };
  const keys: string[] = [];
  let total = 0;
  for (const key of reader.keys()) {
    const keyLabel = labelOfDatumKey(key) ?? decodeDatum(reader.get(key) ?? new Uint8Array()).label;
    if (keyLabel !== label) continue;
    if (total >= first && total < first + size) keys.push(key);
    total++;
  }
  return { total, entries: keys.map((key) => ({ key, value: reader.get(key)! })) };
}
