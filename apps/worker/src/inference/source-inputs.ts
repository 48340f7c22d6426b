/**
 * Inference inputs that are not image files (§10.5): the entries of an LMDB in DATA_ROOTS or a
 * dataset's own folder (`infer_db`, keyed by their DB keys) and entries an extension generates
 * (`infer_extension`, keyed `%09d` like the throw-away DB DIGITS writes for them).
 */
import fs from 'node:fs/promises';
import { Errors } from '@digits-ts/contracts';
import { datumDataToPixels, decodeDatum, formatSequenceKey, openDbReader, type Datum } from '@digits-ts/dataset';
import { encodeImage } from '@digits-ts/imaging';
import { confinedRealPath } from '../confined-path.ts';
import type { WorkerContext } from '../context.ts';

/** An encoded image (PNG/JPEG Datum) or raw HWC RGB pixels. */
export type RawInput =
  | { kind: 'encoded'; key: string; bytes: Buffer }
  | { kind: 'raw'; key: string; pixels: Uint8Array; height: number; width: number; channels: 1 | 3; toPng(): Promise<Buffer> };

function rawInput(key: string, pixels: Uint8Array, height: number, width: number, channels: 1 | 3): RawInput {
  return { kind: 'raw', key, pixels, height, width, channels, toPng: () => encodeImage({ data: Buffer.from(pixels), width, height, channels }, 'png') };
}

/** A DB entry's image: encoded bytes as stored, raw C×H×W data back to HWC pixels; BAD_REQUEST for non-images. */
export function datumInput(key: string, datum: Datum, dbPath: string): RawInput {
  if (datum.encoded) return { kind: 'encoded', key, bytes: Buffer.from(datum.data) };
  if (datum.channels !== 1 && datum.channels !== 3) throw Errors.BAD_REQUEST(`entry ${key} of DB "${dbPath}" has ${datum.channels} channels; images have 1 or 3`);
  if (datum.data.length !== datum.channels * datum.height * datum.width) throw Errors.BAD_REQUEST(`entry ${key} of DB "${dbPath}" holds no uint8 image data`);
  return rawInput(key, datumDataToPixels(datum.data, datum.width, datum.height, datum.channels), datum.height, datum.width, datum.channels);
}

/**
 * The entries of the LMDB at `dbPath`, which must resolve inside DATA_ROOTS or below a dataset
 * job's own folder (checked again here: the worker trusts no path), read one at a time as they
 * are pulled, so a DB of any size is never held whole. The path and the DB are checked now, so a
 * bad one fails the request before any work; the DB is opened again when the entries are pulled
 * and closed when they end (or the consumer stops).
 */
export async function dbInputs(ctx: WorkerContext, dbPath: string): Promise<Generator<RawInput, void, undefined>> {
  const missing = () => Errors.BAD_REQUEST(`DB "${dbPath}" does not exist`);
  const resolved = await fs.realpath(dbPath).catch(() => null);
  const realJobs = await fs.realpath(ctx.config.jobsDir).catch(() => ctx.config.jobsDir);
  const real = resolved !== null && (await ctx.store.holdsDataset(resolved, realJobs)) ? resolved : await confinedRealPath(dbPath, ctx.roots, missing);
  openDbReader(real).close();
  return (function* entries() {
    const reader = openDbReader(real);
    try {
      for (const entry of reader.entries()) yield datumInput(entry.key, decodeDatum(entry.value), dbPath);
    } finally {
      reader.close();
    }
  })();
}

/**
 * An extension's inference entries (§7.3): one with the given values when `count` is null,
 * else `count` with random values in [−0.5, 0.5), each made as it is pulled.
 */
export function* generatedInputs(count: number | null, make: (x: number, y: number) => Uint8Array, given: { gradientX: number; gradientY: number; width: number; height: number }): Generator<RawInput, void, undefined> {
  if (count === null) {
    yield rawInput(formatSequenceKey(0), make(given.gradientX, given.gradientY), given.height, given.width, 1);
    return;
  }
  for (let i = 0; i < count; i++) {
    const x = Math.random() - 0.5;
    const y = Math.random() - 0.5;
    yield rawInput(formatSequenceKey(i), make(x, y), given.height, given.width, 1);
  }
}
