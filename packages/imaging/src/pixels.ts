import { assert, expected } from '@digits-ts/contracts';
import type { RawImage } from './types.ts';

/** A Buffer view over a typed array's bytes (no copy). */
export function asBuffer(data: Uint8Array | Uint8ClampedArray): Buffer {
  return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}

/**
 * Composites pixels with a trailing alpha sample over white, keeping the first `outChannels`
 * samples: PIL's paste-with-mask blend, `(c·a + 255·(255 − a)) / 255` rounded as PIL's DIV255,
 * so P / RGBA / LA images come out exactly as DIGITS' `new.paste(image, mask=…)`.
 */
export function flattenOverWhite(src: Uint8Array, pixelCount: number, srcChannels: number, outChannels: 1 | 3): Buffer {
  const out = Buffer.allocUnsafe(pixelCount * outChannels);
  const alphaAt = srcChannels - 1;
  for (let p = 0, s = 0, o = 0; p < pixelCount; p++, s += srcChannels) {
    const a = src[s + alphaAt] as number;
    const background = 255 * (255 - a) + 128;
    for (let c = 0; c < outChannels; c++, o++) {
      const t = (src[s + c] as number) * a + background;
      out[o] = ((t >> 8) + t) >> 8;
    }
  }
  return out;
}

function rgbToLuma(img: RawImage): RawImage {
  const pixels = img.width * img.height;
  const src = img.data;
  const out = Buffer.allocUnsafe(pixels);
  for (let p = 0, s = 0; p < pixels; p++, s += 3) {
    // PIL's ImagingConvert RGB->L: ITU-R 601-2 luma in 16-bit fixed point, rounded
    out[p] = ((src[s] as number) * 19595 + (src[s + 1] as number) * 38470 + (src[s + 2] as number) * 7471 + 0x8000) >> 16;
  }
  return { data: out, width: img.width, height: img.height, channels: 1 };
}

function greyToRgb(img: RawImage): RawImage {
  const pixels = img.width * img.height;
  const src = img.data;
  const out = Buffer.allocUnsafe(pixels * 3);
  for (let p = 0, o = 0; p < pixels; p++, o += 3) {
    const v = src[p] as number;
    out[o] = v;
    out[o + 1] = v;
    out[o + 2] = v;
  }
  return { data: out, width: img.width, height: img.height, channels: 3 };
}

/**
 * Converts to the requested channel count as DIGITS does: RGB → L with PIL's integer luma,
 * L → RGB by replicating the gray value. Returns `img` itself when it already has `channels`.
 */
export function toChannels(img: RawImage, channels: 1 | 3): RawImage {
  assert(channels === 1 || channels === 3, () => expected('1 or 3', 'channels', channels));
  checkRawImage(img);
  if (img.channels === channels) return img;
  return channels === 1 ? rgbToLuma(img) : greyToRgb(img);
}

function isPositiveInt(n: unknown): n is number {
  return Number.isSafeInteger(n) && (n as number) > 0;
}

/** Throws VALIDATION_FAILED unless `img` is a consistent HWC uint8 image. */
export function checkRawImage(img: RawImage): void {
  assert(typeof img === 'object' && img !== null, () => expected('RawImage object', 'img', img));
  assert(isPositiveInt(img.width), () => expected('positive integer', 'img.width', img.width));
  assert(isPositiveInt(img.height), () => expected('positive integer', 'img.height', img.height));
  assert(img.channels === 1 || img.channels === 3, () => expected('1 or 3', 'img.channels', img.channels));
  assert(Buffer.isBuffer(img.data), () => expected('Buffer', 'img.data', img.data));
  const size = img.width * img.height * img.channels;
  assert(img.data.length === size, () => expected(`${size} bytes (width × height × channels)`, 'img.data.length', img.data.length));
}

/** Throws VALIDATION_FAILED unless `value` is a positive safe integer. */
export function checkPositiveInt(name: string, value: unknown): void {
  assert(isPositiveInt(value), () => expected('positive integer', name, value));
}
