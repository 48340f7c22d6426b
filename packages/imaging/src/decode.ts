import { Errors, assert, expected } from '@digits-ts/contracts';
import { decodeBmp } from './bmp.ts';
import { decodeNetpbm } from './netpbm.ts';
import { PNG_COLOUR, readPngInfo, type PngInfo } from './png-info.ts';
import { canDecodePngFast, decodePngFast } from './png-fast.ts';
import { decodeWithSharp } from './sharp-decode.ts';
import { sniffImageType } from './sniff.ts';
import type { RawImage } from './types.ts';

/** Throws VALIDATION_FAILED unless `maxPixels` is a positive integer (sharp reads 0 as "no limit"). */
export function checkMaxPixels(maxPixels: unknown): asserts maxPixels is number {
  assert(Number.isSafeInteger(maxPixels) && (maxPixels as number) > 0, () => expected('positive integer', 'maxPixels', maxPixels));
}

/** Decodes a PNG whose chunks {@link readPngInfo} already walked. */
export async function decodePng(bytes: Buffer, info: PngInfo, maxPixels: number): Promise<RawImage> {
  if (info.bitDepth === 16 && info.colourType === PNG_COLOUR.GREY) {
    throw Errors.IMAGE_MODE_UNSUPPORTED('Image mode "I;16" not supported', { details: { format: 'png', bitDepth: 16 } });
  }
  if (canDecodePngFast(info)) return decodePngFast(bytes, info);
  const colourKeyed = info.ancillary.has('tRNS') && (info.colourType === PNG_COLOUR.GREY || info.colourType === PNG_COLOUR.RGB);
  return decodeWithSharp(bytes, maxPixels, { ignoreAlpha: colourKeyed });
}

/**
 * Loads image bytes as contract §6.6 does, to 1 channel (L, 1-bit, LA over white) or 3
 * channels (RGB, CMYK, YCbCr; P and RGBA over white). The type comes from the bytes.
 * Throws IMAGE_TOO_LARGE above `maxPixels` (checked from the header, before decoding),
 * IMAGE_DECODE_FAILED for unknown, corrupt or truncated data and IMAGE_MODE_UNSUPPORTED for
 * 16-bit gray, integer and float images.
 */
export async function decodeImage(bytes: Buffer, opts: { maxPixels: number }): Promise<RawImage> {
  assert(Buffer.isBuffer(bytes), () => expected('Buffer', 'bytes', bytes));
  checkMaxPixels(opts.maxPixels);
  const type = sniffImageType(bytes);
  switch (type) {
    case null:
      throw Errors.IMAGE_DECODE_FAILED(`Expected image data (PNG, JPEG, GIF, WebP, TIFF, BMP, PPM/PGM) but the ${bytes.length} bytes match no image signature`);
    case 'png':
      return decodePng(bytes, readPngInfo(bytes, opts.maxPixels), opts.maxPixels);
    case 'bmp':
      return guardTruncation(() => decodeBmp(bytes, opts.maxPixels), 'bmp');
    case 'ppm':
    case 'pgm':
      return guardTruncation(() => decodeNetpbm(bytes, opts.maxPixels), type);
    default:
      return decodeWithSharp(bytes, opts.maxPixels);
  }
}

/** The JS decoders read fixed header offsets; a RangeError there means a truncated header. */
function guardTruncation(decode: () => RawImage, format: string): RawImage {
  try {
    return decode();
  } catch (err) {
    if (err instanceof RangeError) throw Errors.IMAGE_DECODE_FAILED(`${format.toUpperCase()} could not be decoded: header is truncated`, { cause: err });
    throw err;
  }
}
