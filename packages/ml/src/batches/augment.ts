/**
 * DIGITS' data augmentation (contract §8.1 aug_* fields) on one float HWC image in 0..255,
 * before mean subtraction. Geometry first (flips, quarter turns, rotation and zoom), then
 * pixel noise, contrast and HSV jitter.
 */
import type { Augmentation } from '@digits-ts/contracts';
import type { RandomSource } from '@digits-ts/dataset';

export interface FloatImage { data: Float32Array; height: number; width: number; channels: number }

/** True when `aug` changes anything, so the batch builder can skip the per-image work. */
export function augments(aug: Augmentation): boolean {
  return aug.flip !== 'none' || aug.quadRot !== 'none' || aug.rot > 0 || aug.scale > 0 || aug.noise > 0 || aug.contrast > 0 || aug.hsv !== null;
}

function flipInPlace(img: FloatImage, horizontal: boolean): void {
  const { data, height, width, channels } = img;
  const src = data.slice();
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const sy = horizontal ? y : height - 1 - y;
      const sx = horizontal ? width - 1 - x : x;
      for (let c = 0; c < channels; c++) data[(y * width + x) * channels + c] = src[(sy * width + sx) * channels + c]!;
    }
  }
}

/**
 * Rotates by `degrees` and zooms by `zoom` about the centre with bilinear sampling; samples
 * falling outside take the nearest edge pixel, so no artificial black borders appear.
 */
function warpInPlace(img: FloatImage, degrees: number, zoom: number): void {
  const { data, height, width, channels } = img;
  const src = data.slice();
  const cos = Math.cos((degrees * Math.PI) / 180) / zoom;
  const sin = Math.sin((degrees * Math.PI) / 180) / zoom;
  const cy = (height - 1) / 2;
  const cx = (width - 1) / 2;
  const at = (y: number, x: number, c: number) => src[(Math.min(height - 1, Math.max(0, y)) * width + Math.min(width - 1, Math.max(0, x))) * channels + c]!;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const sx = cos * (x - cx) + sin * (y - cy) + cx;
      const sy = -sin * (x - cx) + cos * (y - cy) + cy;
      const x0 = Math.floor(sx);
      const y0 = Math.floor(sy);
      const fx = sx - x0;
      const fy = sy - y0;
      for (let c = 0; c < channels; c++) {
        const top = at(y0, x0, c) * (1 - fx) + at(y0, x0 + 1, c) * fx;
        const bottom = at(y0 + 1, x0, c) * (1 - fx) + at(y0 + 1, x0 + 1, c) * fx;
        data[(y * width + x) * channels + c] = top * (1 - fy) + bottom * fy;
      }
    }
  }
}

/** Standard normal sample (Box–Muller). */
function gaussian(random: RandomSource): number {
  return Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}

function quarterTurns(aug: Augmentation, square: boolean, random: RandomSource): number {
  const choices = { none: [0], rot90: [0, 1, 3], rot180: [0, 2], rotall: [0, 1, 2, 3] }[aug.quadRot];
  // a quarter turn of a non-square image would change its shape
  const allowed = square ? choices : choices.filter((q) => q % 2 === 0);
  return allowed[Math.floor(random() * allowed.length)]!;
}

function geometry(img: FloatImage, aug: Augmentation, random: RandomSource): void {
  const flip = aug.flip;
  if ((flip === 'fliplr' || flip === 'fliplrud') && random() < 0.5) flipInPlace(img, true);
  if ((flip === 'flipud' || flip === 'fliplrud') && random() < 0.5) flipInPlace(img, false);
  const degrees = quarterTurns(aug, img.height === img.width, random) * 90 + (aug.rot > 0 ? (random() * 2 - 1) * aug.rot : 0);
  const zoom = aug.scale > 0 ? 1 + (random() * 2 - 1) * aug.scale : 1;
  if (degrees !== 0 || zoom !== 1) warpInPlace(img, degrees, zoom);
}

function rgbToHsv(r: number, g: number, b: number): [number, number, number] {
  const max = Math.max(r, g, b);
  const d = max - Math.min(r, g, b);
  let h = 0;
  if (d > 0) h = max === r ? ((g - b) / d + 6) % 6 : max === g ? (b - r) / d + 2 : (r - g) / d + 4;
  return [h / 6, max > 0 ? d / max : 0, max];
}

function hsvToRgb(h: number, s: number, v: number): [number, number, number] {
  const k = (n: number) => (n + h * 6) % 6;
  const f = (n: number) => v - v * s * Math.max(0, Math.min(k(n), 4 - k(n), 1));
  return [f(5), f(3), f(1)];
}

/** Shifts hue, saturation and value by random offsets within ±h, ±s, ±v (fractions of range). */
function hsvJitter(img: FloatImage, hsv: { h: number; s: number; v: number }, random: RandomSource): void {
  if (img.channels !== 3) return;
  const dh = (random() * 2 - 1) * hsv.h;
  const ds = (random() * 2 - 1) * hsv.s;
  const dv = (random() * 2 - 1) * hsv.v * 255;
  const { data } = img;
  for (let i = 0; i < data.length; i += 3) {
    const [h, s, v] = rgbToHsv(data[i]!, data[i + 1]!, data[i + 2]!);
    const [r, g, b] = hsvToRgb((h + dh + 1) % 1, Math.min(1, Math.max(0, s + ds)), Math.min(255, Math.max(0, v + dv)));
    data[i] = r;
    data[i + 1] = g;
    data[i + 2] = b;
  }
}

/** Scales each channel's deviation from its mean by a random factor in [1−c, 1+c] (≥ 0). */
function contrast(img: FloatImage, amount: number, random: RandomSource): void {
  const factor = Math.max(0, 1 + (random() * 2 - 1) * amount);
  const { data, channels } = img;
  for (let c = 0; c < channels; c++) {
    let sum = 0;
    for (let i = c; i < data.length; i += channels) sum += data[i]!;
    const mean = sum / (data.length / channels);
    for (let i = c; i < data.length; i += channels) data[i] = (data[i]! - mean) * factor + mean;
  }
}

/** Applies every enabled augmentation to `img` in place. */
export function augmentImage(img: FloatImage, aug: Augmentation, random: RandomSource): void {
  geometry(img, aug, random);
  if (aug.contrast > 0) contrast(img, aug.contrast, random);
  if (aug.hsv) hsvJitter(img, aug.hsv, random);
  if (aug.noise > 0) {
    const sigma = aug.noise * 255;
    for (let i = 0; i < img.data.length; i++) img.data[i]! += sigma * gaussian(random);
  }
}

/** TF's per-image standardisation (aug_whitening): zero mean, unit variance, after the mean. */
export function whiten(data: Float32Array): void {
  let sum = 0;
  let squares = 0;
  for (const v of data) {
    sum += v;
    squares += v * v;
  }
  const mean = sum / data.length;
  const std = Math.max(Math.sqrt(Math.max(0, squares / data.length - mean * mean)), 1 / Math.sqrt(data.length));
  for (let i = 0; i < data.length; i++) data[i] = (data[i]! - mean) / std;
}
