/**
 * Writes one stage's LMDB (contract §6.4): the list is cut into chunks that the image threads
 * prepare in parallel, while this thread writes their Datums in list order under `%08d_%d` keys.
 */
import fs from 'node:fs/promises';
import { Errors, type DatasetBuildOptions } from '@digits-ts/contracts';
import { createDbWriter, WRITE_BATCH_SIZE, type ListLine } from '@digits-ts/dataset';
import type { ChunkResult, ChunkTask } from './chunk.ts';
import type { ImagePool } from './image-pool.ts';

/**
 * Images per thread task: many tiny images amortise the message cost; few large ones keep a
 * chunk short, so an abort lands within a fraction of a second.
 */
const MAX_CHUNK = 128;
const CHUNK_PIXELS = 1_000_000;

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
  /** Called after each chunk with the number of list lines handled so far. */
  onProgress(done: number): void;
}

export interface StageWriteResult {
  entries: number;
  sum: Float64Array | null;
  failures: ChunkResult['failures'];
  reused: number;
}

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
  const result: StageWriteResult = { entries: 0, sum: null, failures: [], reused: 0 };
  const inFlight: Array<{ start: number; promise: Promise<ChunkResult> }> = [];
  const size = chunkSize(o.options);
  let next = 0;
  const refill = () => {
    // two chunks per thread keeps every thread busy while this one writes
    while (inFlight.length < o.pool.threads * 2 && next < o.lines.length) {
      throwIfAborted(o.signal);
      inFlight.push({ start: next, promise: o.pool.run(taskFor(o.lines, next, size, o)) });
      next += size;
    }
  };
  try {
    refill();
    while (inFlight.length > 0) {
      const { start, promise } = inFlight.shift()!;
      const chunk = await promise;
      throwIfAborted(o.signal);
      const before = result.entries;
      appendChunk(writer, chunk, o.lines, start, result);
      if (Math.floor(before / WRITE_BATCH_SIZE) !== Math.floor(result.entries / WRITE_BATCH_SIZE)) await writer.flush();
      o.onProgress(Math.min(o.lines.length, start + size));
      refill();
    }
  } finally {
    // chunks still in flight only compute; nothing waits for them after an abort or failure
    for (const f of inFlight) f.promise.catch(() => undefined);
    await writer.close();
  }
  if (result.entries === 0) throw Errors.DATASET_BUILD_FAILED('no images written to database');
  return result;
}

function appendChunk(writer: Awaited<ReturnType<typeof createDbWriter>>, chunk: ChunkResult, lines: ListLine[], start: number, result: StageWriteResult): void {
  for (let k = 0; k < chunk.positions.length; k++) {
    const from = k === 0 ? 0 : chunk.ends[k - 1]!;
    writer.put(result.entries++, lines[start + chunk.positions[k]!]!.label, chunk.datums.subarray(from, chunk.ends[k]!));
  }
  if (chunk.sum) {
    if (!result.sum) result.sum = new Float64Array(chunk.sum.length);
    for (let p = 0; p < chunk.sum.length; p++) result.sum[p]! += chunk.sum[p]!;
  }
  result.failures.push(...chunk.failures);
  result.reused += chunk.reused;
}
