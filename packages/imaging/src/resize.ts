import sharp from 'sharp';
import { Errors, assert, expected } from '@digits-ts/contracts';
import { checkPositiveInt, checkRawImage } from './pixels.ts';
import type { RawImage, ResizeMode } from './types.ts';

const RESIZE_MODES: readonly ResizeMode[] = ['crop', 'squash', 'fill', 'half_crop'];

/** Throws VALIDATION_FAILED unless `mode` is a §6.5 resize mode. */
export function checkResizeMode(mode: unknown): void {
  assert(RESIZE_MODES.includes(mode as ResizeMode), () => expected(`one of ${RESIZE_MODES.join(', ')}`, 'mode', mode));
}

/** The geometry of one §6.5 resize: scale to resizeWidth × resizeHeight, then crop and/or pad. */
export interface ResizePlan {
  resizeWidth: number;
  resizeHeight: number;
  /** Keep the target extent along `axis` starting at `start` (the over-long dimension). */
  crop: { axis: 'x' | 'y'; start: number } | null;
  /** Add `each` noise columns (x) or rows (y) on both sides of the short dimension. */
  pad: { axis: 'x' | 'y'; each: number } | null;
}

/** Python 2 `round`: half away from zero. */
function round(x: number): number {
  return x < 0 ? -Math.round(-x) : Math.round(x);
}

/**
 * Grows a scaled extent by one when the gap to the target is odd, so the noise splits evenly.
 * DIGITS fails outright when a very long image scales to 0 rows; we keep at least one.
 */
function evenGap(extent: number, target: number): number {
  const n = Math.max(1, extent);
  return (target - n) % 2 === 1 ? n + 1 : n;
}

function plan(resizeWidth: number, resizeHeight: number, crop: ResizePlan['crop'], pad: ResizePlan['pad']): ResizePlan {
  return { resizeWidth, resizeHeight, crop, pad };
}

/**
 * The §6.5 geometry for a srcWidth × srcHeight source and a width × height target, or null
 * when no resize is needed. Ratios are floats, `round` is half away from zero.
 */
export function planResize(srcWidth: number, srcHeight: number, width: number, height: number, mode: ResizeMode): ResizePlan | null {
  if (srcWidth === width && srcHeight === height) return null;
  const rw = srcWidth / width;
  const rh = srcHeight / height;
  if (mode === 'squash' || rw === rh) return plan(width, height, null, null);
  const wide = rw > rh;
  if (mode === 'crop') {
    if (wide) {
      const w = round(srcWidth / rh);
      return plan(w, height, { axis: 'x', start: round((w - width) / 2) }, null);
    }
    const h = round(srcHeight / rw);
    return plan(width, h, { axis: 'y', start: round((h - height) / 2) }, null);
  }
  if (mode === 'fill') {
    if (wide) {
      const h = evenGap(round(srcHeight / rw), height);
      return plan(width, h, null, { axis: 'y', each: (height - h) / 2 });
    }
    const w = evenGap(round(srcWidth / rh), width);
    return plan(w, height, null, { axis: 'x', each: (width - w) / 2 });
  }
  const r = (rw + rh) / 2; // half_crop: scale by the mean ratio, crop the long side, pad the short
  if (wide) {
    const [w, h] = [round(srcWidth / r), evenGap(round(srcHeight / r), height)];
    return plan(w, h, { axis: 'x', start: round((w - width) / 2) }, { axis: 'y', each: (height - h) / 2 });
  }
  const [w, h] = [evenGap(round(srcWidth / r), width), round(srcHeight / r)];
  return plan(w, h, { axis: 'y', start: round((h - height) / 2) }, { axis: 'x', each: (width - w) / 2 });
}

/** Bilinear scale of raw pixels through sharp (libvips 'linear' ≈ PIL BILINEAR). */
async function scale(img: RawImage, width: number, height: number): Promise<RawImage> {
  if (img.width === width && img.height === height) return img;
  try {
    const pipeline = sharp(img.data, { raw: { width: img.width, height: img.height, channels: img.channels } })
      .resize(width, height, { kernel: 'linear', fit: 'fill' })
      // raw output is sRGB unless told otherwise, even for 1-channel input
      .toColourspace(img.channels === 1 ? 'b-w' : 'srgb');
    const { data, info } = await pipeline.raw().toBuffer({ resolveWithObject: true });
    assert(info.channels === img.channels, () => `resize returned ${info.channels} channels for a ${img.channels}-channel image`);
    return { data, width: info.width, height: info.height, channels: img.channels };
  } catch (err) {
    throw Errors.INTERNAL(`Resizing ${img.width}x${img.height} to ${width}x${height} failed`, { cause: err });
  }
}

function cropCentre(img: RawImage, crop: NonNullable<ResizePlan['crop']>, width: number, height: number): RawImage {
  const c = img.channels;
  if (crop.axis === 'y') {
    // a copy, so the result never aliases the caller's buffer
    const data = Buffer.from(img.data.subarray(crop.start * img.width * c, (crop.start + height) * img.width * c));
    return { data, width: img.width, height, channels: c };
  }
  const data = Buffer.allocUnsafe(width * img.height * c);
  for (let y = 0; y < img.height; y++) {
    const from = (y * img.width + crop.start) * c;
    img.data.copy(data, y * width * c, from, from + width * c);
  }
  return { data, width, height: img.height, channels: c };
}

function noise(size: number, random: () => number): Buffer {
  const out = Buffer.allocUnsafe(size);
  // numpy's randint(0, 255): uniform over 0..254
  for (let i = 0; i < size; i++) out[i] = Math.min(254, Math.floor(random() * 255));
  return out;
}

/** DIGITS concatenates one noise block on both sides (`(noise, image, noise)`), so we do too. */
export function padNoise(img: RawImage, pad: NonNullable<ResizePlan['pad']>, random: () => number): RawImage {
  const c = img.channels;
  if (pad.axis === 'y') {
    const block = noise(pad.each * img.width * c, random);
    return { data: Buffer.concat([block, img.data, block]), width: img.width, height: img.height + 2 * pad.each, channels: c };
  }
  const width = img.width + 2 * pad.each;
  const [side, row] = [pad.each * c, img.width * c];
  const block = noise(img.height * side, random);
  const data = Buffer.allocUnsafe(width * img.height * c);
  for (let y = 0, o = 0; y < img.height; y++) {
    block.copy(data, o, y * side, (y + 1) * side);
    img.data.copy(data, o + side, y * row, (y + 1) * row);
    block.copy(data, o + side + row, y * side, (y + 1) * side);
    o += width * c;
  }
  return { data, width, height: img.height, channels: c };
}

/**
 * Resizes to width × height exactly as contract §6.5 (bilinear; crop, squash, fill with
 * uniform noise 0..254, half_crop). Returns `img` itself when it already has that size.
 * Convert channels first ({@link toChannels}): noise has the image's channel count.
 */
export async function resizeImage(
  img: RawImage,
  opts: { width: number; height: number; mode: ResizeMode; random?: () => number },
): Promise<RawImage> {
  checkRawImage(img);
  checkPositiveInt('width', opts.width);
  checkPositiveInt('height', opts.height);
  checkResizeMode(opts.mode);
  const geometry = planResize(img.width, img.height, opts.width, opts.height, opts.mode);
  if (geometry === null) return img;
  let out = await scale(img, geometry.resizeWidth, geometry.resizeHeight);
  if (geometry.crop !== null) out = cropCentre(out, geometry.crop, opts.width, opts.height);
  if (geometry.pad !== null) out = padNoise(out, geometry.pad, opts.random ?? Math.random);
  return out;
}
