import { assert, Errors, expected } from '@digits-ts/contracts';
import { checkMaxPixels, decodePng, decodeImage } from './decode.ts';
import { encodeImage } from './encode.ts';
import { checkPositiveInt, toChannels } from './pixels.ts';
import { PNG_COLOUR, readPngInfo, type PngInfo } from './png-info.ts';
import { checkResizeMode, resizeImage } from './resize.ts';
import { decodeResizedJpeg } from './sharp-resize.ts';
import { sniffImageType } from './sniff.ts';
import type { ImageEncoding, PrepareOptions, PreparedImage, RawImage } from './types.ts';

const ENCODINGS: readonly ImageEncoding[] = ['none', 'png', 'jpg'];

function checkOptions(opts: PrepareOptions): void {
  checkPositiveInt('width', opts.width);
  checkPositiveInt('height', opts.height);
  assert(opts.channels === 1 || opts.channels === 3, () => expected('1 or 3', 'channels', opts.channels));
  checkResizeMode(opts.resizeMode);
  assert(ENCODINGS.includes(opts.encoding), () => expected(`one of ${ENCODINGS.join(', ')}`, 'encoding', opts.encoding));
  checkMaxPixels(opts.maxPixels);
}

/** Ancillary chunks that make a reader's pixels differ from the stored samples. */
const PIXEL_CHANGING_CHUNKS = ['tRNS', 'iCCP', 'eXIf'];

/**
 * A PNG whose stored pixels already are the dataset image: 8-bit gray (1 channel) or RGB
 * (3 channels) at the target size, with nothing a reader would apply on top.
 */
function isDatasetShaped(info: PngInfo, opts: PrepareOptions): boolean {
  const colourType = opts.channels === 1 ? PNG_COLOUR.GREY : PNG_COLOUR.RGB;
  return (
    info.colourType === colourType &&
    info.bitDepth === 8 &&
    info.width === opts.width &&
    info.height === opts.height &&
    !PIXEL_CHANGING_CHUNKS.some((type) => info.ancillary.has(type))
  );
}

async function encodeOrNull(pixels: RawImage, encoding: ImageEncoding): Promise<Buffer | null> {
  return encoding === 'none' ? null : encodeImage(pixels, encoding);
}

/**
 * One dataset image, as DIGITS' create-DB step (§6.4): decode (§6.6) → channel conversion →
 * resize (§6.5) → encode. A PNG already in the dataset shape is only decoded (which validates
 * it; up to 192×192 in JS, without sharp) and, for encoding 'png', its own bytes are returned
 * (`reused: true`). Most JPEGs are decoded and scaled in one libvips pipeline, with the same
 * pixels as the general path ({@link decodeResizedJpeg}).
 * Throws what {@link decodeImage} throws.
 */
export async function prepareImage(bytes: Buffer, opts: PrepareOptions): Promise<PreparedImage> {
  checkOptions(opts);
  const type = Buffer.isBuffer(bytes) ? sniffImageType(bytes) : null;
  const png = type === 'png' ? readPngInfo(bytes, opts.maxPixels) : null;
  if (png !== null && isDatasetShaped(png, opts)) {
    // decoding still validates the file; small ones never touch sharp
    const pixels = await decodePng(bytes, png, opts.maxPixels);
    if (opts.encoding === 'png') return { pixels, encoded: bytes, reused: true };
    return { pixels, encoded: await encodeOrNull(pixels, opts.encoding), reused: false };
  }
  if (type === 'jpeg' && !opts.requireSize) {
    const pixels = await decodeResizedJpeg(bytes, { width: opts.width, height: opts.height, channels: opts.channels, mode: opts.resizeMode, maxPixels: opts.maxPixels, random: opts.random });
    if (pixels) return { pixels, encoded: await encodeOrNull(pixels, opts.encoding), reused: false };
  }
  const decoded = png !== null ? await decodePng(bytes, png, opts.maxPixels) : await decodeImage(bytes, { maxPixels: opts.maxPixels });
  if (opts.requireSize && (decoded.width !== opts.width || decoded.height !== opts.height)) {
    throw Errors.MODEL_SHAPE_MISMATCH(`the image is ${decoded.width}x${decoded.height} but the model takes ${opts.width}x${opts.height}; resize it or leave dont_resize unset`);
  }
  const pixels = await resizeImage(toChannels(decoded, opts.channels), { width: opts.width, height: opts.height, mode: opts.resizeMode, random: opts.random });
  return { pixels, encoded: await encodeOrNull(pixels, opts.encoding), reused: false };
}
