/**
 * The image-gradients extension's generator (contract §7.3): grayscale images of a linear
 * gradient whose slopes are the regression label.
 */
import type { RandomSource } from '@digits-ts/dataset';

export interface GradientEntry {
  /** H×W grayscale pixels. */
  feature: Uint8Array;
  /** `[xslope, yslope]`, each in [−0.5, 0.5). */
  label: Float32Array;
}

/** Pixel (x, y) = a·(x − w/2) + b·(y − h/2) + 127.5 with a = xslope·255/w, b = yslope·255/h, truncated. */
export function gradientImage(width: number, height: number, xslope: number, yslope: number): Uint8Array {
  const a = (xslope * 255) / width;
  const b = (yslope * 255) / height;
  const out = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) out[y * width + x] = Math.trunc(a * (x - width / 2) + b * (y - height / 2) + 127.5);
  }
  return out;
}

/** `count` entries with slopes drawn uniformly from [−0.5, 0.5). */
export function* gradientEntries(count: number, width: number, height: number, random: RandomSource): Generator<GradientEntry> {
  for (let i = 0; i < count; i++) {
    const xslope = random() - 0.5;
    const yslope = random() - 0.5;
    yield { feature: gradientImage(width, height, xslope, yslope), label: Float32Array.of(xslope, yslope) };
  }
}
