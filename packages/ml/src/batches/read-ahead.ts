/**
 * A streamed split's bounded read-ahead: the reader thread (`reader-thread.ts`) reads and
 * decodes the next batches into a ring of batch slots in shared memory while the current batch
 * trains, so memory holds `readAhead + 1` batches, never the split. The caller's epoch order
 * decides what comes next (`Ahead`); a batch not read ahead (the first of a reshuffled epoch) is
 * read when asked for. Replica threads read the ring like any in-memory samples.
 */
import { Errors, assert, expected } from '@digits-ts/contracts';
import type { SplitInit } from './reader-protocol.ts';
import { ReaderThread } from './reader-thread.ts';
import type { Samples } from './samples.ts';
import type { Ahead, BatchSource } from './source.ts';
import { READ_AHEAD_BATCHES, type StreamedSplit } from './stream.ts';

interface Fill {
  slot: number;
  ticket: number;
  indices: number[];
  done: Promise<void>;
}

const same = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((v, i) => v === b[i]);

/** Numbers the splits open on the shared thread. */
let splitIds = 0;

export class ReadAhead implements BatchSource {
  readonly samples: Samples;
  /** Batches read ahead at most. */
  readonly depth: number;
  private readonly split = splitIds++;
  private readonly free: number[];
  /** Fills asked for, in the order the batches will be used. */
  private queue: Fill[] = [];
  /** The slot of the batch in use. */
  private current: number | null = null;
  private tickets = 0;
  private readonly wanted: Int32Array;
  private closed = false;
  /** Most batches asked for ahead of the one in use at any time (≤ depth). */
  peakAhead = 0;

  private constructor(private readonly thread: ReaderThread, init: SplitInit, split: StreamedSplit, private readonly batchSize: number, depth: number) {
    this.depth = depth;
    this.free = Array.from({ length: depth + 1 }, (_, s) => s);
    this.wanted = new Int32Array(init.wanted).fill(-1);
    this.samples = {
      height: split.height, width: split.width, channels: split.channels, count: (depth + 1) * batchSize,
      pixels: new Uint8Array(init.pixels), labels: new Int32Array(init.labels),
      ...(init.targets ? { targets: new Float32Array(init.targets), targetSize: split.targetSize! } : {}),
    };
  }

  /** Opens `split` on the reader thread with a ring for batches of up to `batchSize`. */
  static async open(split: StreamedSplit, batchSize: number): Promise<ReadAhead> {
    const depth = split.readAhead ?? READ_AHEAD_BATCHES;
    assert(Number.isInteger(depth) && depth >= 1, () => expected('a positive integer', 'readAhead', depth));
    const slots = (depth + 1) * batchSize;
    const init: SplitInit = {
      dbDir: split.dbDir, shape: { height: split.height, width: split.width, channels: split.channels }, slotSize: batchSize,
      ...(split.labelDb ? { labelDb: split.labelDb, targetSize: split.targetSize, targets: new SharedArrayBuffer(slots * (split.targetSize ?? 1) * 4) } : {}),
      ...(split.decoder ? { decoder: split.decoder } : {}),
      pixels: new SharedArrayBuffer(slots * split.height * split.width * split.channels), labels: new SharedArrayBuffer(slots * 4),
      wanted: new SharedArrayBuffer((depth + 1) * 4),
    };
    const thread = await ReaderThread.acquire();
    const source = new ReadAhead(thread, init, split, batchSize, depth);
    try {
      await thread.send({ kind: 'open', split: source.split, init });
    } catch (err) {
      await source.close();
      throw err;
    }
    return source;
  }

  /** Asks the thread to fill a free slot with `indices`. */
  private request(indices: number[]): Fill {
    const slot = this.free.shift();
    if (slot === undefined) throw Errors.INTERNAL('the read-ahead ring has no free slot');
    const ticket = this.tickets++;
    Atomics.store(this.wanted, slot, ticket);
    const done = this.thread.send({ kind: 'fill', split: this.split, slot, ticket, indices });
    done.catch(() => {}); // awaited when its batch is used; a fill never used must not be an unhandled rejection
    return { slot, ticket, indices, done };
  }

  /** Drops the fills from `from` on (the order changed): the thread skips them, their slots free up once it has. */
  private discard(from: number): void {
    for (const fill of this.queue.splice(from)) {
      Atomics.store(this.wanted, fill.slot, -1);
      void fill.done.catch(() => {}).finally(() => this.free.push(fill.slot));
    }
  }

  async batch(indices: number[], ahead?: Ahead): Promise<number[]> {
    assert(!this.closed, () => `the read-ahead of a closed split`);
    assert(indices.length <= this.batchSize, () => expected(`at most ${this.batchSize} samples`, 'batch', indices.length));
    if (this.current !== null) this.free.push(this.current);
    this.current = null;
    let fill: Fill;
    if (this.queue.length > 0 && same(this.queue[0]!.indices, indices)) {
      fill = this.queue.shift()!;
    } else {
      this.discard(0);
      fill = this.request(indices);
    }
    for (let k = 0; k < this.depth && ahead; k++) {
      const next = ahead(k);
      if (!next) break;
      if (k < this.queue.length) {
        if (same(this.queue[k]!.indices, next)) continue;
        this.discard(k);
      }
      if (this.free.length === 0) break;
      this.queue.push(this.request(next));
    }
    this.peakAhead = Math.max(this.peakAhead, this.queue.length);
    await fill.done;
    this.current = fill.slot;
    return indices.map((_, k) => fill.slot * this.batchSize + k);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // queued fills are skipped; the thread closes the DBs after them
    this.wanted.fill(-1);
    this.thread.post({ kind: 'close', split: this.split });
    this.thread.release();
  }
}
