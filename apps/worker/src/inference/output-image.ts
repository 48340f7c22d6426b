/**
 * The `Image output` view's picture (contract §10.6): a network output drawn as a PNG. It is made
 * here, not in the gateway, because turning tensors into an encoded image is image work (sharp),
 * and the gateway neither decodes nor encodes images; the page gets it as a data URI.
 */
import { Errors, MAX_THUMBNAILS, type OutputImageOptions } from '@digits-ts/contracts';
import { encodeImage } from '@digits-ts/imaging';
import type { SampleOutput } from '@digits-ts/ml';
import type { InputChunk } from './request-inputs.ts';

/** Images encoded at once. */
const ENCODE_CONCURRENCY = 32;

export interface ImageDims { height: number; width: number; channels: number }

/** Where an output's values sit as an image: planes (C×H×W, DIGITS' Caffe layout) or interleaved (H×W×C, ours). */
export interface OutputLayout extends ImageDims { channels: 1 | 3; planar: boolean }

const notAnImage = (name: string, shape: readonly number[], why: string) =>
  Errors.MODEL_SHAPE_MISMATCH(`the Image output view cannot draw output "${name}" of shape [${shape.join(', ')}]: ${why}`);

/**
 * How output `name` of `shape` (no batch dimension) reads as an image. Our networks compute
 * channels-last, so H×W×C comes first; C×H×W (a network reshaped to DIGITS' layout) when only
 * the first axis can be channels; H×W is grey; a flat output is taken at the dataset's image
 * size `dims` (its own channels, else grey, else RGB), the one size we know it could have.
 */
export function outputLayout(name: string, shape: readonly number[], dims: ImageDims): OutputLayout {
  const s = [...shape];
  while (s.length > 3 && s[0] === 1) s.shift();
  const channelsOk = (c: number | undefined): c is 1 | 3 => c === 1 || c === 3;
  if (s.length === 2) return { height: s[0]!, width: s[1]!, channels: 1, planar: false };
  if (s.length === 3) {
    if (channelsOk(s[2])) return { height: s[0]!, width: s[1]!, channels: s[2], planar: false };
    if (channelsOk(s[0])) return { height: s[1]!, width: s[2]!, channels: s[0], planar: true };
    throw notAnImage(name, shape, `Unhandled number of channels: ${s[2]}`);
  }
  if (s.length === 1) {
    const pixels = dims.height * dims.width;
    const channels = [dims.channels, 1, 3].find((c) => pixels * c === s[0]);
    if (channelsOk(channels)) return { height: dims.height, width: dims.width, channels, planar: false };
    throw notAnImage(name, shape, `${s[0]} values are not ${dims.height}×${dims.width} pixels of 1 or 3 channels (the dataset's image size)`);
  }
  throw notAnImage(name, shape, 'it is neither H×W×C, C×H×W, H×W nor flat');
}

/**
 * The output's pixels as interleaved RGB (or grey) bytes, as DIGITS converts them: `bgr` reverses
 * 3 channels; `normalize` shifts the minimum to 0 and, when the maximum is then above 0, scales it
 * to 255; `clip` clamps to 0..255; then truncated (NaN reads 0).
 */
export function outputPixels(values: ArrayLike<number>, layout: OutputLayout, options: OutputImageOptions): Uint8Array {
  const { height, width, channels, planar } = layout;
  const plane = height * width;
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < plane * channels; i++) {
    const v = values[i]!;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const range = max - min;
  // divided before scaling, as DIGITS does, so the maximum lands on 255 exactly
  const convert = options.pixelConversion === 'normalize'
    ? (v: number) => (range > 0 ? ((v - min) / range) * 255 : 0)
    : (v: number) => Math.min(255, Math.max(0, v));
  const out = new Uint8Array(plane * channels);
  for (let p = 0; p < plane; p++) {
    for (let c = 0; c < channels; c++) {
      const from = channels === 3 && options.channelOrder === 'bgr' ? 2 - c : c;
      const v = convert(values[planar ? from * plane + p : p * channels + from]!);
      out[p * channels + c] = Number.isNaN(v) ? 0 : Math.trunc(v);
    }
  }
  return out;
}

/**
 * Draws each used input's first output (the first in deploy order) for the request's first
 * {@link MAX_THUMBNAILS} inputs (this chunk's samples start at the request's `first`-th); a first
 * output that is not an image fails the request, as the view fails it in DIGITS (but with a 422
 * that says why).
 */
export async function addOutputImages(forwarded: SampleOutput[][], { used, results, first: before = 0 }: Pick<InputChunk, 'used' | 'results'> & { first?: number }, dims: ImageDims, options: OutputImageOptions): Promise<void> {
  const count = Math.max(0, Math.min(forwarded.length, MAX_THUMBNAILS - before));
  if (count === 0) return;
  const first = forwarded[0]![0]!;
  const layout = outputLayout(first.name, first.shape, dims);
  for (let start = 0; start < count; start += ENCODE_CONCURRENCY) {
    await Promise.all(forwarded.slice(start, Math.min(count, start + ENCODE_CONCURRENCY)).map(async (outputs, k) => {
      const pixels = outputPixels(outputs[0]!.values, layout, options);
      const png = await encodeImage({ data: Buffer.from(pixels.buffer, pixels.byteOffset, pixels.length), width: layout.width, height: layout.height, channels: layout.channels }, 'png');
      results[used[start + k]!]!.outputImage = { mime: 'image/png', data: png.toString('base64'), width: layout.width, height: layout.height, channels: layout.channels };
    }));
  }
}
