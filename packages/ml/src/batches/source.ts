/**
 * Where a training or validation batch's samples come from: a split held in memory, or a
 * streamed split's read-ahead ring (`read-ahead.ts`). Either way a batch is a list of positions
 * in one `Samples`, which the batch feed reads on this thread and replicas read on theirs.
 */
import type { Samples } from './samples.ts';
import { isStreamed, type StreamedSplit } from './stream.ts';
import { ReadAhead } from './read-ahead.ts';

/** A split as training takes it: in memory, or streamed from its LMDB. */
export type Split = Samples | StreamedSplit;

/** The batches after the current one, where already known: `ahead(0)` is the next; null when not known yet. */
export type Ahead = (k: number) => number[] | null;

export interface BatchSource {
  /** The samples that `batch`'s positions index. */
  readonly samples: Samples;
  /**
   * Makes the dataset samples at `indices` readable in `samples`, and resolves to their
   * positions there; they stay valid until the next call. `ahead` lets a streamed source read on.
   */
  batch(indices: number[], ahead?: Ahead): Promise<number[]>;
  close(): Promise<void>;
}

/** A split in memory: positions are the dataset indices. */
class InMemory implements BatchSource {
  constructor(readonly samples: Samples) {}

  batch(indices: number[]): Promise<number[]> {
    return Promise.resolve(indices);
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

/** Opens `split` for batches of up to `batchSize` samples. */
export async function openBatchSource(split: Split, batchSize: number): Promise<BatchSource> {
  return isStreamed(split) ? ReadAhead.open(split, batchSize) : new InMemory(split);
}

