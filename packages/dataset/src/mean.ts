/** The training set's mean image (contract §6.4): running per-pixel sum, rounded like numpy. */
import { Errors, assert, expected } from '@digits-ts/contracts';
import { encodeBlobProto, pixelsToDatumData } from './caffe.ts';

/**
 * numpy's `around`: round to nearest, ties to even (DIGITS rounds the float mean with it).
 * Exact for the non-negative quotients we feed it.
 */
export function roundHalfEven(x: number): number {
  const floor = Math.floor(x);
  const diff = x - floor;
  if (diff > 0.5) return floor + 1;
  if (diff < 0.5) return floor;
  return floor % 2 === 0 ? floor : floor + 1;
}

/** Accumulates H×W×C uint8 images (same size) and yields their rounded mean. */
export class MeanAccumulator {
  readonly width: number;
  readonly height: number;
  readonly channels: number;
  // Float64 sums stay exact far beyond any dataset size (2^53 / 255 images).
  readonly #sum: Float64Array;
  #count = 0;

  constructor(width: number, height: number, channels: number) {
    assert(Number.isInteger(width) && width > 0, () => expected('positive integer', 'width', width));
    assert(Number.isInteger(height) && height > 0, () => expected('positive integer', 'height', height));
    assert(Number.isInteger(channels) && channels > 0, () => expected('positive integer', 'channels', channels));
    this.width = width;
    this.height = height;
    this.channels = channels;
    this.#sum = new Float64Array(width * height * channels);
  }

  /** Images added so far. */
  get count(): number {
    return this.#count;
  }

  /** Adds one image: H×W×C interleaved uint8 pixels (RGB or gray), as decoded. */
  add(hwcPixels: Uint8Array): void {
    const sum = this.#sum;
    assert(hwcPixels.length === sum.length,
      () => `Expected ${sum.length} bytes (${this.height}×${this.width}×${this.channels}) for hwcPixels but received ${hwcPixels.length}`);
    for (let i = 0; i < sum.length; i++) sum[i] = (sum[i] as number) + (hwcPixels[i] as number);
    this.#count++;
  }

  /** Merges a partial per-pixel sum (H×W×C order) of `count` images, e.g. from a worker thread. */
  addSum(sum: ArrayLike<number>, count: number): void {
    const own = this.#sum;
    assert(sum.length === own.length, () => `Expected ${own.length} values for sum but received ${sum.length}`);
    assert(Number.isInteger(count) && count >= 0, () => expected('non-negative integer', 'count', count));
    for (let i = 0; i < own.length; i++) own[i] = (own[i] as number) + (sum[i] as number);
    this.#count += count;
  }

  /** The mean image, H×W×C uint8 (RGB or gray): each pixel's sum / count, rounded half to even. */
  mean(): Uint8Array {
    if (this.#count === 0) throw Errors.DATASET_BUILD_FAILED('cannot compute a mean image: no images were added');
    const out = new Uint8Array(this.#sum.length);
    for (let i = 0; i < out.length; i++) out[i] = roundHalfEven((this.#sum[i] as number) / this.#count);
    return out;
  }

  /** `mean.binaryproto`: BlobProto num=1, C×H×W floats of the rounded mean, planes B,G,R for colour. */
  toBlobProto(): Uint8Array {
    const chw = pixelsToDatumData(this.mean(), this.width, this.height, this.channels);
    return encodeBlobProto({ num: 1, channels: this.channels, height: this.height, width: this.width, data: Float32Array.from(chw) });
  }
}
