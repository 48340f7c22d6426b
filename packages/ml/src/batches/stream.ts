/**
 * A dataset split that training streams from its LMDB instead of holding in memory: what is
 * known of it at open (shape, entry count, label vector size), read from the DBs' meta pages and
 * first label. `read-ahead.ts` reads its batches.
 */
import { assert, expected } from '@digits-ts/contracts';
import { decodeDatum, openDbReader } from '@digits-ts/dataset';
import { labelSize, type ImageShape, type SplitInfo } from './samples.ts';

/**
 * A module exporting `createDecoder(options): DecodeImages`, which the read-ahead thread loads
 * to decode PNG/JPEG Datums (a function cannot cross to a thread; its module can).
 */
export interface DecoderModule {
  /** The module's URL (file: URL of a .ts or .js file). */
  url: string;
  options?: unknown;
}

export interface StreamedSplit extends SplitInfo {
  /** The feature (image) LMDB. */
  dbDir: string;
  /** Generic datasets' label LMDB, read entry for entry with the features. */
  labelDb?: string;
  /** Needed when the Datums are encoded. */
  decoder?: DecoderModule;
  /** Batches read and decoded ahead of the one training uses; default READ_AHEAD_BATCHES. */
  readAhead?: number;
}

/** Batches in flight by default: enough to hide a slow batch's decode, few enough to stay small. */
export const READ_AHEAD_BATCHES = 4;

/** Whether a split is streamed (else its samples are in memory). */
export function isStreamed(split: SplitInfo): split is StreamedSplit {
  return 'dbDir' in split;
}

/** Describes `dbDir` (and `labelDb`) as a streamed split; reads no image. */
export function streamedSplit(dbDir: string, shape: ImageShape, options: Pick<StreamedSplit, 'labelDb' | 'decoder' | 'readAhead'> = {}): StreamedSplit {
  const reader = openDbReader(dbDir);
  const count = reader.count();
  reader.close();
  const split: StreamedSplit = { ...shape, count, dbDir, ...options };
  if (!options.labelDb) return split;
  const labels = openDbReader(options.labelDb);
  try {
    assert(labels.count() === count, () => expected(`${count} labels (one per feature)`, options.labelDb!, labels.count()));
    const first = labels.entries({ limit: 1 }).next();
    if (first.done) return split;
    const size = labelSize(decodeDatum(first.value.value));
    assert(size > 0, () => expected('a non-empty label', `entry ${first.value.key} of ${options.labelDb}`, 'an empty Datum'));
    return { ...split, targetSize: size };
  } finally {
    labels.close();
  }
}

/** Bytes the split's samples would take in memory (`loadSamples`): pixels, labels and label vectors. */
export function inMemoryBytes(split: SplitInfo): number {
  return split.count * (split.height * split.width * split.channels + 4 + 4 * (split.targetSize ?? 0));
}
