import sharp, { type Metadata } from 'sharp';
import { Errors, isAppError } from '@digits-ts/contracts';
import { flattenOverWhite } from './pixels.ts';
import type { RawImage } from './types.ts';

/**
 * 'error' refuses truncated files and corrupt pixel data, as PIL does, while letting through
 * what libjpeg / libpng only warn about (extraneous bytes, a bad ancillary chunk), which PIL
 * also loads; 'warning' would drop many real-world photos DIGITS accepts.
 */
export const FAIL_ON = 'error';

/** Sharp decode options: what the caller knows about the image beyond its bytes. */
export interface SharpDecodeHints {
  /** A PNG tRNS colour key on a gray / RGB image: PIL keeps such images L / RGB, so drop the alpha libvips adds. */
  ignoreAlpha?: boolean;
}

/** The PIL mode DIGITS would refuse for this sample format, or null when it is loadable. */
function unsupportedMode(meta: Metadata): string | null {
  const grey = meta.space === 'b-w' || meta.space === 'grey16';
  switch (meta.depth) {
    case 'uchar':
      return null;
    // PIL reads 16-bit colour as 8-bit RGB(A) / LA, but 16-bit gray only as 'I;16'
    case 'ushort':
      return grey && !meta.hasAlpha ? 'I;16' : null;
    case 'float':
    case 'double':
    case 'complex':
    case 'dpcomplex':
      return 'F';
    default:
      return 'I';
  }
}

/** Throws IMAGE_MODE_UNSUPPORTED for a sample format DIGITS refuses ({@link unsupportedMode}). */
export function refuseUnsupportedMode(meta: Metadata): void {
  const mode = unsupportedMode(meta);
  if (mode !== null) throw Errors.IMAGE_MODE_UNSUPPORTED(`Image mode "${mode}" not supported`, { details: { format: meta.format, depth: meta.depth, space: meta.space } });
}

/** A sharp failure as IMAGE_TOO_LARGE (over the pixel cap) or IMAGE_DECODE_FAILED; AppErrors pass. */
export function toAppError(err: unknown): Error {
  if (isAppError(err)) return err;
  const message = err instanceof Error ? err.message : String(err);
  if (/pixel limit/i.test(message)) return Errors.IMAGE_TOO_LARGE(`Image exceeds the pixel limit: ${message}`, { cause: err });
  return Errors.IMAGE_DECODE_FAILED(`Image could not be decoded: ${message}`, { cause: err });
}

/**
 * Decodes any image sharp reads to 1 (gray) or 3 (RGB) channels per contract §6.6: EXIF
 * orientation applied, colour converted to sRGB (CMYK, YCbCr, ICC profiles), alpha composited
 * over white; 16-bit gray and float / integer images refused as PIL modes DIGITS refuses.
 */
export async function decodeWithSharp(bytes: Buffer, maxPixels: number, hints: SharpDecodeHints = {}): Promise<RawImage> {
  try {
    const pipeline = sharp(bytes, { failOn: FAIL_ON, limitInputPixels: maxPixels });
    const meta = await pipeline.metadata();
    refuseUnsupportedMode(meta);
    const grey = meta.space === 'b-w' || meta.space === 'grey16';
    const alpha = meta.hasAlpha && hints.ignoreAlpha !== true;
    pipeline.rotate();
    if (!alpha && meta.hasAlpha) pipeline.removeAlpha();
    // 'b-w' output drops an alpha band, so gray+alpha goes through sRGBA and keeps band 0
    pipeline.toColourspace(grey && !alpha ? 'b-w' : 'srgb');
    const { data, info } = await pipeline.raw().toBuffer({ resolveWithObject: true });
    const pixels = info.width * info.height;
    const channels = grey ? 1 : 3;
    if (info.channels === channels) return { data, width: info.width, height: info.height, channels };
    if (info.channels !== 4) throw Errors.IMAGE_DECODE_FAILED(`Image decoded to ${info.channels} channels, expected ${channels} or 4`);
    return { data: flattenOverWhite(data, pixels, 4, channels), width: info.width, height: info.height, channels };
  } catch (err) {
    throw toAppError(err);
  }
}
