/** The bundled sample picture and the dataset form's resize preview (contract §11.7). */
import fs from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { encodeImage } from './encode.ts';
import { prepareImage } from './prepare.ts';
import type { PrepareOptions } from './types.ts';

/** A 400×300 JPEG shipped in the package's `assets/` (made by scripts/sample-image.ts). */
export const SAMPLE_IMAGE_PATH = fileURLToPath(new URL('../assets/sample.jpg', import.meta.url));

let sample: Promise<Buffer> | null = null;

/** The sample picture's bytes, read once per process. */
export function readSampleImage(): Promise<Buffer> {
  sample ??= fs.readFile(SAMPLE_IMAGE_PATH).catch((err: unknown) => {
    sample = null;
    throw err;
  });
  return sample;
}

/** The sample as one dataset entry, for display. */
export interface ResizeExample {
  mime: 'image/png' | 'image/jpeg';
  /** PNG (encodings `png`, `none`) or JPEG (`jpg`) bytes. */
  data: Buffer;
  /** The entry's image size in the DB: encoded length, or width·height·channels when not encoded. */
  bytes: number;
}

/**
 * The sample prepared exactly as a dataset build prepares an image (§6.4–6.6: channels,
 * resize mode and its noise, encoding and JPEG quality). Raw entries are shown as PNG.
 */
export async function resizeExample(opts: Omit<PrepareOptions, 'requireSize'>): Promise<ResizeExample> {
  const prepared = await prepareImage(await readSampleImage(), opts);
  if (prepared.encoded === null) {
    const { width, height, channels } = prepared.pixels;
    return { mime: 'image/png', data: await encodeImage(prepared.pixels, 'png'), bytes: width * height * channels };
  }
  return { mime: opts.encoding === 'jpg' ? 'image/jpeg' : 'image/png', data: prepared.encoded, bytes: prepared.encoded.length };
}
