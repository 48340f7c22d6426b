/**
 * The image-segmentation extension (contract §7.6): image-processing's paired folders and seeded
 * split (reused from image-processing.ts), with label images read as class indices — palette
 * indices or grey values (`label`), or RGB colours mapped to the nearest colour of a colour map
 * file (`textfile`) — and the dataset palette every label must share.
 */
import fs from 'node:fs/promises';
import { Errors, type ImageSegmentationOptions, type SegmentationExtensionData } from '@digits-ts/contracts';
import { decodeLabelImage, type LabelImage } from '@digits-ts/imaging';
import { confinedRealPath, readImageFile } from '../confined-path.ts';
import { mapInOrder } from '../in-order.ts';
import type { PixelArray } from '../generic-build/write-stage.ts';
import { listImages, loadImage, type ImagePair, type PairLoading } from './image-processing.ts';

/** Palette length PIL gives: 256 colours of R, G, B. */
const PALETTE_VALUES = 768;

async function readLabel(file: string, how: Pick<PairLoading, 'roots' | 'maxPixels'>): Promise<LabelImage> {
  const real = await confinedRealPath(file, how.roots, () => Errors.IMAGE_NOT_FOUND(`"${file}" not found`));
  const bytes = await readImageFile(real, how.maxPixels, `"${file}"`, (why) => Errors.IMAGE_NOT_FOUND(`"${file}" cannot be read: ${why}`));
  return decodeLabelImage(bytes, how.maxPixels);
}

/** A text file inside DATA_ROOTS (the gateway checked it; the worker checks again). */
async function readTextFile(file: string, roots: readonly string[]): Promise<string> {
  const real = await confinedRealPath(file, roots, () => Errors.DATASET_BUILD_FAILED(`"${file}": File does not exist or is not reachable`));
  return fs.readFile(real, 'utf8');
}

/** Every integer of a colour map file (`R G B` per line), zero-padded to 768 values. */
export function colormapPalette(text: string): number[] {
  const values = text.split(/\s+/).filter((t) => t !== '').map((token) => {
    if (!/^[+-]?\d+$/.test(token)) throw Errors.DATASET_BUILD_FAILED(`Your color map file seems to be badly formatted: '${token}' is not an integer`);
    return Number(token);
  });
  if (values.some((v) => v < 0 || v > 255)) throw Errors.DATASET_BUILD_FAILED('Your color map file seems to be badly formatted: colour values must be 0..255');
  return [...values, ...new Array<number>(Math.max(0, PALETTE_VALUES - values.length)).fill(0)].slice(0, PALETTE_VALUES);
}

/**
 * The extension data DIGITS computes at creation: the palette (the first label's, sorted order,
 * for `label`; the colour map's for `textfile`), the class labels file's lines and the method.
 */
export async function segmentationData(options: ImageSegmentationOptions, how: Pick<PairLoading, 'roots' | 'maxPixels'>): Promise<SegmentationExtensionData> {
  let palette: number[] | null;
  if (options.colormapMethod === 'textfile') palette = colormapPalette(await readTextFile(options.colormapTextFile!, how.roots));
  else {
    const first = (await listImages(options.labelFolder, how.roots))[0]!;
    const label = await readLabel(first, how);
    checkMode(first, label, 'label');
    palette = label.palette;
  }
  const classLabels = options.classLabelsFile ? (await readTextFile(options.classLabelsFile, how.roots)).split(/\r?\n/) : [];
  // a final newline ends the last line; it names no class
  if (classLabels.at(-1) === '') classLabels.pop();
  return { color_palette: palette, class_labels: classLabels.map((l) => l.trim()), colormap_method: options.colormapMethod };
}

function checkMode(file: string, label: LabelImage, method: ImageSegmentationOptions['colormapMethod']): void {
  if (method === 'label' && !['P', 'L', '1'].includes(label.mode)) {
    throw Errors.DATASET_BUILD_FAILED(`Labels are expected to be single-channel (paletted or grayscale) images - ${file} mode is '${label.mode}'. If your labels are RGB images then set the 'Color Map Specification' field to 'from text file' and provide a color map text file.`);
  }
  if (method === 'textfile' && label.mode !== 'RGB') {
    throw Errors.DATASET_BUILD_FAILED(`Labels are expected to be RGB images - ${file} mode is '${label.mode}'. If your labels are palette or grayscale images then set the 'Color Map Specification' field to 'from label image'.`);
  }
}

/** RGB pixels → the index of the nearest palette colour (squared distance, lowest index on ties), as PIL's quantize(palette=) picks. */
export function quantizeToPalette(rgb: Uint8Array, palette: readonly number[]): Uint8Array {
  const out = new Uint8Array(rgb.length / 3);
  const cache = new Map<number, number>();
  for (let p = 0; p < out.length; p++) {
    const [r, g, b] = [rgb[p * 3]!, rgb[p * 3 + 1]!, rgb[p * 3 + 2]!];
    const key = (r << 16) | (g << 8) | b;
    let best = cache.get(key);
    if (best === undefined) {
      let bestDistance = Infinity;
      for (let i = 0; i < palette.length / 3; i++) {
        const d = (palette[i * 3]! - r) ** 2 + (palette[i * 3 + 1]! - g) ** 2 + (palette[i * 3 + 2]! - b) ** 2;
        if (d < bestDistance) [best, bestDistance] = [i, d];
      }
      cache.set(key, best!);
    }
    out[p] = best!;
  }
  return out;
}

const samePalette = (a: readonly number[] | null, b: readonly number[] | null) =>
  a === null || b === null ? a === b : a.length === b.length && a.every((v, i) => v === b[i]);

/** One label file as 1×H×W class indices, checked against the dataset's method and palette. */
export async function loadLabel(file: string, data: SegmentationExtensionData, how: Pick<PairLoading, 'roots' | 'maxPixels'>): Promise<PixelArray> {
  const label = await readLabel(file, how);
  checkMode(file, label, data.colormap_method);
  const indices = data.colormap_method === 'textfile' ? quantizeToPalette(label.data, data.color_palette!) : label.data;
  // after quantising, the label's palette is the colour map's
  if (data.colormap_method === 'label' && !samePalette(label.palette, data.color_palette)) throw Errors.DATASET_BUILD_FAILED('All label images must use the same palette');
  return { data: indices, height: label.height, width: label.width, channels: 1 };
}

/** The stage's pairs loaded in order (input per channel_conversion, label as class indices), `threads` ahead of the writer. */
export function segmentationEntries(pairs: readonly ImagePair[], options: ImageSegmentationOptions, data: SegmentationExtensionData, how: PairLoading): AsyncGenerator<{ feature: PixelArray; label: PixelArray }> {
  function* unlessAborted(): Generator<ImagePair> {
    for (const pair of pairs) {
      how.signal?.throwIfAborted();
      yield pair;
    }
  }
  return mapInOrder(unlessAborted(), how.threads, async (pair) => ({
    feature: await loadImage(pair.feature, options.channelConversion, how.roots, how.maxPixels),
    label: await loadLabel(pair.label, data, how),
  }));
}
