/** DIGITS' mean subtraction (use_mean none | image | pixel) from the dataset's mean.binaryproto. */
import fs from 'node:fs/promises';
import { assert, expected } from '@digits-ts/contracts';
import { decodeBlobProto } from '@digits-ts/dataset';
import type { ImageShape } from './samples.ts';

export type MeanMode = 'none' | 'image' | 'pixel';

/**
 * The mean as an HWC RGB float image of the dataset's shape: the image itself for `image`, each
 * channel's spatial average everywhere for `pixel`, null for `none`.
 */
export async function loadMean(file: string, shape: ImageShape, mode: MeanMode): Promise<Float32Array | null> {
  if (mode === 'none') return null;
  const blob = decodeBlobProto(await fs.readFile(file));
  const { height, width, channels } = shape;
  assert(blob.height === height && blob.width === width && blob.channels === channels, () => expected(`${height}x${width}x${channels} mean`, file, `${blob.height}x${blob.width}x${blob.channels}`));
  const plane = height * width;
  const hwc = new Float32Array(plane * channels);
  for (let c = 0; c < channels; c++) {
    // Caffe stores planes in BGR order; our pixels are RGB
    const source = channels === 3 ? 2 - c : c;
    let sum = 0;
    for (let i = 0; i < plane; i++) sum += blob.data[source * plane + i]!;
    for (let i = 0; i < plane; i++) hwc[i * channels + c] = mode === 'pixel' ? sum / plane : blob.data[source * plane + i]!;
  }
  return hwc;
}
