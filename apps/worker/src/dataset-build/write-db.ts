/**
 * Writes one stage's LMDB (contract §6.4): the list is cut into chunks that the image threads
 * prepare in parallel, while this thread writes their Datums in list order under `%08d_%d` keys.
 * Memory does not grow with the list: two chunks per thread are in flight, the writer holds a
 * bounded buffer, and only the first failures are kept by name.
 */
import fs from 'node:fs/promises';
import { Errors, type DatasetBuildOptions } from '@digits-ts/contracts';
import { createDbWriter, type DbWriter, type ListLine } from '@digits-ts/dataset';
import { mapInOrder } from '../in-order.ts';
import type { ChunkResult, ChunkTask } from './chunk.ts';
import type { ImagePool } from './image-pool.ts';

/**
 * Images per thread task: many tiny images amortise the message cost; few large ones keep a
 * chunk short, so an abort lands within a fraction of a second.
 */
const MAX_CHUNK = 128;
const CHUNK_PIXELS = 4_000_000;

function chunkSize(o: DatasetBuildOptions): number {
  return Math.max(4, Math.min(MAX_CHUNK, Math.floor(CHUNK_PIXELS / (o.width * o.height * o.channels))));
}

export interface StageWriteOptions {
  dir: string;
  lines: ListLine[];
  options: DatasetBuildOptions;
  pool: ImagePool;
  maxPixels: number;
  withSum: boolean;
  confineTo: string[] | null;
  signal: AbortSignal;
  /** How many failures to keep by name (the rest are only counted). */
  keepFailures: number;
  /** Called after each chunk with the number of list lines handled so far. */
  onProgress(done: number): void;
}

export interface StageWriteResult {
  entries: number;
  sum: Float64Array | null;
  /** The first `keepFailures` images that could not be written. */
  failures: ChunkResult['failures'];
  /** How many images could not be written. */
  skipped: number;
  reused: number;
}

/** Chunks in flight per image thread: one computing, one waiting, so no thread idles while this one writes. */
const CHUNKS_PER_THREAD = 2;

function throwIfAborted(signal: AbortSignal): void {
  if (signal.aborted) throw Errors.JOB_ABORTED('aborted by user');
}

function taskFor(lines: ListLine[], start: number, size: number, o: StageWriteOptions): ChunkTask {
  const slice = lines.slice(start, start + size);
  const { width, height, channels, resizeMode, encoding } = o.options;
  return { paths: slice.map((l) => l.path), labels: slice.map((l) => l.label), options: { width, height, channels, resizeMode, encoding }, maxPixels: o.maxPixels, withSum: o.withSum, confineTo: o.confineTo };
}

/** Writes the stage DB into `o.dir`; throws when no image at all could be written. */
export async function writeStageDb(o: StageWriteOptions): Promise<StageWriteResult> {
  await fs.mkdir(o.dir);
  const writer = await createDbWriter(o.dir);
  const result: StageWriteResult = { entries: 0, sum: null, failures: [], skipped: 0, reused: 0 };
  const size = chunkSize(o.options);
  function* starts(): Generator<number> {
    for (let start = 0; start < o.lines.length; start += size) {
      throwIfAborted(o.signal);
      yield start;
    }
  }
  try {
    const chunks = mapInOrder(starts(), o.pool.threads * CHUNKS_PER_THREAD, async (start) => ({ start, chunk: await o.pool.run(taskFor(o.lines, start, size, o)) }));
    // chunks still in flight after an abort or failure only compute; nothing waits for them
    for await (const { start, chunk } of chunks) {
      throwIfAborted(o.signal);
      appendChunk(writer, chunk, o.lines, start, result, o.keepFailures);
      await writer.ready();
      o.onProgress(Math.min(o.lines.length, start + size));
    }
  } finally {
    await writer.close();
  }
  if (result.entries === 0) throw Errors.DATASET_BUILD_FAILED('no images written to database');
  return result;
}

function appendChunk(writer: DbWriter, chunk: ChunkResult, lines: ListLine[], start: number, result: StageWriteResult, keepFailures: number): void {
  for (let k = 0; k < chunk.positions.length; k++) {
    const from = k === 0 ? 0 : chunk.ends[k - 1]!;
    writer.put(result.entries++, lines[start + chunk.positions[k]!]!.label, chunk.datums.subarray(from, chunk.ends[k]!));
  }
  if (chunk.sum) {
    if (!result.sum) result.sum = new Float64Array(chunk.sum.length);
    for (let p = 0; p < chunk.sum.length; p++) result.sum[p]! += chunk.sum[p]!;
  }
  result.failures.push(...chunk.failures.slice(0, Math.max(0, keepFailures - result.failures.length)));
  result.skipped += chunk.failures.length;
  result.reused += chunk.reused;
}
