/**
 * Image-thread entry (piscina): reads, validates and prepares a chunk of images and builds their
 * Caffe Datums, so every core decodes while the main thread only writes LMDB.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Errors, isAppError } from '@digits-ts/contracts';
import { isWithinRoots } from '@digits-ts/config';
import { encodeDatum, MeanAccumulator, pixelsToDatumData } from '@digits-ts/dataset';
import { configureSharp, prepareImage } from '@digits-ts/imaging';
import { move, transferableSymbol, valueSymbol } from 'piscina';
import { readImageFileSync } from '../confined-path.ts';
import type { ChunkResult, ChunkTask } from './chunk.ts';
import { IMAGES_IN_FLIGHT } from './image-pool.ts';

// one libvips thread per pipeline: parallelism comes from the threads (and their two images each)
configureSharp({ concurrency: 1, cacheMemoryMb: 0 });

/** The image's bytes, confined to `confineTo` when given (read as readImageFileSync checks). */
function readImage(file: string, confineTo: string[] | null, maxPixels: number): Buffer {
  let real = file;
  if (confineTo) {
    real = fs.realpathSync(file);
    if (!isWithinRoots(real, confineTo)) throw Object.assign(new Error(`"${file}" is outside DATA_ROOTS`), { code: 'PATH_NOT_ALLOWED' });
  }
  return readImageFileSync(real, maxPixels, `"${file}"`, (why) => Errors.IMAGE_NOT_FOUND(`"${file}" ${why}`));
}

function failureOf(file: string, err: unknown): { source: string; code: string; message: string } {
  if (isAppError(err)) return { source: file, code: err.code, message: err.message };
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return { source: file, code: 'IMAGE_NOT_FOUND', message: `"${file}" not found` };
  if (code === 'PATH_NOT_ALLOWED') return { source: file, code, message: (err as Error).message };
  return { source: file, code: 'IMAGE_DECODE_FAILED', message: `cannot read "${path.basename(file)}": ${(err as Error).message}` };
}

/** Processes one chunk; per-image problems are reported, never thrown. */
export default async function processChunk(task: ChunkTask): Promise<ChunkResult> {
  const { width, height, channels, encoding } = task.options;
  const mean = task.withSum ? new MeanAccumulator(width, height, channels) : null;
  const datums: Array<Uint8Array | null> = new Array(task.paths.length).fill(null);
  const failed: Array<[number, ChunkResult['failures'][number]]> = [];
  let reused = 0;
  let next = 0;
  const lane = async () => {
    for (let i = next++; i < task.paths.length; i = next++) {
      const file = task.paths[i]!;
      try {
        const prepared = await prepareImage(readImage(file, task.confineTo, task.maxPixels), { ...task.options, maxPixels: task.maxPixels });
        const { data } = prepared.pixels;
        mean?.add(data);
        const payload = prepared.encoded ?? pixelsToDatumData(data, width, height, channels);
        datums[i] = encodeDatum({ channels, height, width, label: task.labels[i]!, data: payload, encoded: encoding !== 'none' });
        if (prepared.reused) reused++;
      } catch (err) {
        failed.push([i, failureOf(file, err)]);
      }
    }
  };
  await Promise.all(Array.from({ length: IMAGES_IN_FLIGHT }, lane));
  const positions = datums.flatMap((d, i) => (d ? [i] : []));
  // failures in input order, as one image at a time reported them
  const failures = failed.sort((a, b) => a[0] - b[0]).map(([, f]) => f);
  return transferred({ ...pack(positions.map((i) => datums[i]!)), positions: Uint32Array.from(positions), sum: mean?.sum() ?? null, failures, reused });
}

/**
 * The result with its typed arrays moved to the main thread rather than copied: a chunk of
 * 256×256 raw images is megabytes, and copies of it kept the main thread's collector busy.
 */
function transferred(result: ChunkResult): ChunkResult {
  const buffers = [result.datums.buffer, result.ends.buffer, result.positions.buffer, ...(result.sum ? [result.sum.buffer] : [])];
  return move({ [transferableSymbol]: buffers, [valueSymbol]: result }) as unknown as ChunkResult;
}

function pack(datums: Uint8Array[]): Pick<ChunkResult, 'datums' | 'ends'> {
  const ends = new Uint32Array(datums.length);
  let total = 0;
  datums.forEach((d, i) => { total += d.length; ends[i] = total; });
  const out = new Uint8Array(total);
  datums.forEach((d, i) => out.set(d, i === 0 ? 0 : ends[i - 1]!));
  return { datums: out, ends };
}
