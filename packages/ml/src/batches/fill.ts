/**
 * Builds input batches from in-memory samples: crop (random in training, centred otherwise, as
 * Caffe), mirror, augmentation, mean subtraction and whitening, into one Float32Array NHWC.
 */
import type { Augmentation } from '@digits-ts/contracts';
import type { RandomSource } from '@digits-ts/dataset';
import { augmentImage, augments, whiten, type FloatImage } from './augment.ts';
import { targetOf, type Samples } from './samples.ts';

export interface BatchOptions {
  /** Square crop side, or null for the full image. */
  crop: number | null;
  /** Random horizontal mirror (the network's own setting, as Caffe's `mirror`). */
  mirror: boolean;
  /** HWC mean of the full image, or null. */
  mean: Float32Array | null;
  augmentation: Augmentation;
  /** Training batches are randomised; validation batches are deterministic. */
  train: boolean;
  random: RandomSource;
}

/** The shape the network sees: [height, width, channels] after cropping. */
export function inputShapeOf(samples: Pick<Samples, 'height' | 'width' | 'channels'>, crop: number | null): [number, number, number] {
  return crop === null ? [samples.height, samples.width, samples.channels] : [crop, crop, samples.channels];
}

/** Where one image's crop starts and whether it is mirrored: random in training (Caffe's order of draws), centred otherwise. */
export function placement(samples: Pick<Samples, 'height' | 'width' | 'channels'>, opts: BatchOptions): { top: number; left: number; mirror: boolean } {
  const [h, w] = inputShapeOf(samples, opts.crop);
  const { height, width } = samples;
  const top = opts.crop === null ? 0 : opts.train ? Math.floor(opts.random() * (height - h + 1)) : Math.floor((height - h) / 2);
  const left = opts.crop === null ? 0 : opts.train ? Math.floor(opts.random() * (width - w + 1)) : Math.floor((width - w) / 2);
  const mirror = opts.train && opts.mirror && opts.random() < 0.5;
  return { top, left, mirror };
}

/**
 * Fills `out` (indices.length × input size) and `labels` for the samples at `indices`, and
 * `targets` (indices.length × target size) when given.
 */
export function fillBatch(samples: Samples, indices: ArrayLike<number>, opts: BatchOptions, out: Float32Array, labels: Int32Array, targets?: Float32Array): void {
  const { height, width, channels } = samples;
  const [h, w] = inputShapeOf(samples, opts.crop);
  const size = h * w * channels;
  const augment = opts.train && augments(opts.augmentation);
  for (let b = 0; b < indices.length; b++) {
    const index = indices[b]!;
    labels[b] = samples.labels[index]!;
    if (targets) targets.set(targetOf(samples, index), b * (samples.targetSize ?? 1));
    const { top, left, mirror } = placement(samples, opts);
    const image = out.subarray(b * size, (b + 1) * size);
    const base = index * height * width * channels;
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const sx = left + (mirror ? w - 1 - x : x);
        const src = base + ((top + y) * width + sx) * channels;
        const dst = (y * w + x) * channels;
        for (let c = 0; c < channels; c++) image[dst + c] = samples.pixels[src + c]!;
      }
    }
    if (augment) augmentImage({ data: image, height: h, width: w, channels } satisfies FloatImage, opts.augmentation, opts.random);
    if (opts.mean) subtractMean(image, opts.mean, { top, left, h, w, width, channels, mirror });
    if (opts.augmentation.whitening) whiten(image);
  }
}

/** Subtracts the mean at each pixel's source position, as Caffe does before mirroring. */
function subtractMean(image: Float32Array, mean: Float32Array, at: { top: number; left: number; h: number; w: number; width: number; channels: number; mirror: boolean }): void {
  const { top, left, h, w, width, channels, mirror } = at;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const src = ((top + y) * width + left + (mirror ? w - 1 - x : x)) * channels;
      const dst = (y * w + x) * channels;
      for (let c = 0; c < channels; c++) image[dst + c]! -= mean[src + c]!;
    }
  }
}
