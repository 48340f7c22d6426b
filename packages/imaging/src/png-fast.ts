import { inflateSync } from 'node:zlib';
import { decode } from 'fast-png';
import { Errors } from '@digits-ts/contracts';
import { PNG_COLOUR, type PngInfo } from './png-info.ts';
import { asBuffer, flattenOverWhite } from './pixels.ts';
import type { RawImage } from './types.ts';

/**
 * Largest PNG (width × height) decoded in JS; bigger ones go to libpng through sharp, which is
 * faster past about 200×200 despite its fixed cost of a few hundred µs per pipeline.
 */
export const FAST_PNG_MAX_PIXELS = 192 * 192;

/** Adam7 passes: [x0, y0, dx, dy]. */
const ADAM7 = [
  [0, 0, 8, 8], [4, 0, 8, 8], [0, 4, 4, 8], [2, 0, 4, 4], [0, 2, 2, 4], [1, 0, 2, 2], [0, 1, 1, 2],
] as const;

/**
 * True when the JS decoder gives exactly what the sharp path would: 8-bit,
 * not palette, no ICC profile to convert and no EXIF orientation to apply, and small.
 */
export function canDecodePngFast(info: PngInfo): boolean {
  return (
    info.bitDepth === 8 &&
    info.colourType !== PNG_COLOUR.PALETTE &&
    !info.ancillary.has('iCCP') &&
    !info.ancillary.has('eXIf') &&
    info.width * info.height <= FAST_PNG_MAX_PIXELS
  );
}

function filteredSize(info: PngInfo): number {
  const bitsPerPixel = info.bitDepth * info.storedChannels;
  const rowBytes = (width: number) => 1 + Math.ceil((width * bitsPerPixel) / 8);
  if (!info.interlaced) return info.height * rowBytes(info.width);
  let total = 0;
  for (const [x0, y0, dx, dy] of ADAM7) {
    const w = Math.ceil((info.width - x0) / dx);
    const h = Math.ceil((info.height - y0) / dy);
    if (w > 0 && h > 0) total += h * rowBytes(w);
  }
  return total;
}

function fail(reason: string, cause?: unknown): never {
  throw Errors.IMAGE_DECODE_FAILED(`PNG could not be decoded: ${reason}`, { cause, details: { format: 'png' } });
}

/**
 * Inflates the image data natively, which checks the zlib checksum and caps the output at the
 * size the header promises (a decompression bomb stops there); fast-png's JS inflater checks
 * neither and zero-fills a short last row.
 */
function inflateImageData(bytes: Buffer, info: PngInfo): Buffer {
  const stream = info.idat.length === 1 ? bytes.subarray(...(info.idat[0] as [number, number])) : Buffer.concat(info.idat.map(([s, e]) => bytes.subarray(s, e)));
  const size = filteredSize(info);
  let inflated: Buffer;
  try {
    inflated = inflateSync(stream, { maxOutputLength: size });
  } catch (err) {
    fail(`image data is corrupt or larger than ${info.width}x${info.height} needs`, err);
  }
  if (inflated.length !== size) fail(`image data is truncated (${inflated.length} of ${size} bytes)`);
  return inflated;
}

function paeth(a: number, b: number, c: number): number {
  const p = a + b - c;
  const [pa, pb, pc] = [Math.abs(p - a), Math.abs(p - b), Math.abs(p - c)];
  return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

/** Reverses one row's PNG filter in place in `out` (typed-array stores wrap mod 256). */
function unfilterRow(filter: number, src: Buffer, at: number, out: Buffer, row: number, stride: number, bpp: number): void {
  const up = row - stride; // < 0 on the first row: "above" reads as 0
  for (let i = 0; i < stride; i++) {
    const x = src[at + i] as number;
    const a = i >= bpp ? (out[row + i - bpp] as number) : 0;
    const b = up >= 0 ? (out[up + i] as number) : 0;
    if (filter === 0) out[row + i] = x;
    else if (filter === 1) out[row + i] = x + a;
    else if (filter === 2) out[row + i] = x + b;
    else if (filter === 3) out[row + i] = x + ((a + b) >> 1);
    else out[row + i] = x + paeth(a, b, up >= 0 && i >= bpp ? (out[up + i - bpp] as number) : 0);
  }
}

/** Non-interlaced 8-bit pixels from the inflated, filtered rows. */
function unfilter(inflated: Buffer, info: PngInfo): Buffer {
  const bpp = info.storedChannels;
  const stride = info.width * bpp;
  const out = Buffer.allocUnsafe(info.height * stride);
  for (let y = 0; y < info.height; y++) {
    const filter = inflated[y * (stride + 1)] as number;
    if (filter > 4) fail(`unknown filter type ${filter} on row ${y}`);
    unfilterRow(filter, inflated, y * (stride + 1) + 1, out, y * stride, stride, bpp);
  }
  return out;
}

/** Interlaced (Adam7) images are rare in datasets; fast-png de-interlaces them. */
function decodeInterlaced(bytes: Buffer, info: PngInfo): Buffer {
  let png: ReturnType<typeof decode>;
  try {
    png = decode(bytes);
  } catch (err) {
    fail(err instanceof Error ? err.message : String(err), err);
  }
  const { data } = png;
  if (!(data instanceof Uint8Array) || data.length !== info.width * info.height * info.storedChannels) fail('decoder returned unexpected pixel data');
  return asBuffer(data);
}

/**
 * Decodes a PNG that {@link canDecodePngFast} accepted, without sharp: gray and RGB as stored
 * (a tRNS colour key is ignored, as PIL's L / RGB modes do), gray+alpha and RGBA composited
 * over white. Corrupt, truncated or oversized image data throws IMAGE_DECODE_FAILED.
 */
export function decodePngFast(bytes: Buffer, info: PngInfo): RawImage {
  const inflated = inflateImageData(bytes, info);
  const data = info.interlaced ? decodeInterlaced(bytes, info) : unfilter(inflated, info);
  const { width, height, storedChannels } = info;
  if (storedChannels === 1 || storedChannels === 3) return { data, width, height, channels: storedChannels };
  const channels = storedChannels === 2 ? 1 : 3;
  return { data: flattenOverWhite(data, width * height, storedChannels, channels), width, height, channels };
}
