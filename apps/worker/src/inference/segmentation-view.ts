/**
 * The `Image Segmentation` view's picture (contract §10.6): the first output's class scores
 * (H×W×C here, channels last) reduced to an arg-max class map, drawn as an RGBA overlay — class 0
 * (background) transparent, other classes half-transparent in their colour with an opaque outline
 * — plus the legend of the classes found. Drawn here for the reason output-image.ts gives
 * (encoding images is the worker's); nothing is written to the working directory.
 */
import { Errors, MAX_THUMBNAILS, type SegmentationExtensionData, type SegmentationViewOptions } from '@digits-ts/contracts';
import { encodePng } from '@digits-ts/imaging';
import type { SampleOutput } from '@digits-ts/ml';
import type { InputChunk } from './request-inputs.ts';

/** matplotlib's qualitative "Paired" colour map, 12 colours, repeated past class 11. */
const PAIRED = ['a6cee3', '1f78b4', 'b2df8a', '33a02c', 'fb9a99', 'e31a1c', 'fdbf6f', 'ff7f00', 'cab2d6', '6a3d9a', 'ffff99', 'b15928']
  .map((hex) => [0, 2, 4].map((i) => parseInt(hex.slice(i, i + 2), 16)) as [number, number, number]);
/** Alpha of a class's inside and of its outline. */
const FILL_ALPHA = 128;
const OUTLINE_ALPHA = 255;

export interface ClassMap { height: number; width: number; classes: Uint8Array; channels: number }

/** Arg-max over the channels of an H×W×C score map (the first of equal scores), as uint8 classes. */
export function classMap(output: SampleOutput): ClassMap {
  const s = output.shape.filter((d, i) => !(i === 0 && d === 1 && output.shape.length > 3));
  if (s.length !== 3) throw Errors.MODEL_SHAPE_MISMATCH(`the Image Segmentation view reads H×W×C class scores from the first output, but "${output.name}" has shape [${output.shape.join(', ')}]`);
  const [height, width, channels] = s as [number, number, number];
  if (channels > 256) throw Errors.MODEL_SHAPE_MISMATCH(`the Image Segmentation view draws at most 256 classes, but "${output.name}" scores ${channels}`);
  const classes = new Uint8Array(height * width);
  for (let p = 0; p < classes.length; p++) {
    let best = 0;
    for (let c = 1; c < channels; c++) if (output.values[p * channels + c]! > output.values[p * channels + best]!) best = c;
    classes[p] = best;
  }
  return { height, width, classes, channels };
}

/** The colour of class `k` under the view's colour map (the dataset's palette checked by the caller). */
export function classColor(k: number, colormap: SegmentationViewOptions['colormap'], palette: readonly number[] | null): [number, number, number] {
  if (colormap === 'dataset') return [palette![k * 3] ?? 0, palette![k * 3 + 1] ?? 0, palette![k * 3 + 2] ?? 0];
  if (colormap === 'paired') return PAIRED[k % PAIRED.length]!;
  return [k, k, k];
}

const hex = ([r, g, b]: readonly number[]) => `#${[r, g, b].map((v) => v!.toString(16).padStart(2, '0')).join('')}`;

/** RGBA pixels of the overlay: background clear, classes filled half-transparent, their edges (a neighbour of another class) opaque. */
export function overlayPixels(map: ClassMap, color: (k: number) => readonly number[]): Uint8Array {
  const { height, width, classes } = map;
  const out = new Uint8Array(height * width * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const k = classes[y * width + x]!;
      if (k === 0) continue;
      let edge = false;
      for (let dy = -1; dy <= 1 && !edge; dy++) {
        for (let dx = -1; dx <= 1; dx++) {
          const [ny, nx] = [y + dy, x + dx];
          if (ny >= 0 && nx >= 0 && ny < height && nx < width && classes[ny * width + nx] !== k) edge = true;
        }
      }
      const [r, g, b] = color(k);
      out.set([r!, g!, b!, edge ? OUTLINE_ALPHA : FILL_ALPHA], (y * width + x) * 4);
    }
  }
  return out;
}

/**
 * Draws the overlay and legend of each used input's first output for the request's first
 * {@link MAX_THUMBNAILS} inputs. `colormap: dataset` needs the dataset's palette (§7.6).
 */
export async function addSegmentationViews(forwarded: SampleOutput[][], { used, results, first: before = 0 }: Pick<InputChunk, 'used' | 'results'> & { first?: number }, options: SegmentationViewOptions, data: SegmentationExtensionData | null): Promise<void> {
  const palette = data?.color_palette ?? null;
  if (options.colormap === 'dataset' && !palette) throw Errors.VALIDATION_FAILED('No palette found in dataset - choose other colormap');
  const color = (k: number) => classColor(k, options.colormap, palette);
  const count = Math.max(0, Math.min(forwarded.length, MAX_THUMBNAILS - before));
  for (let k = 0; k < count; k++) {
    const map = classMap(forwarded[k]![0]!);
    const png = await encodePng({ data: Buffer.from(overlayPixels(map, color)), width: map.width, height: map.height, channels: 4 });
    const found = [...new Set(map.classes)].filter((c) => c !== 0).sort((a, b) => a - b);
    const legend = found.map((index) => ({ index, text: data?.class_labels[index] || `Class #${index}`, hex_color: hex(color(index)) }));
    results[used[k]!]!.segmentation = { mime: 'image/png', data: png.toString('base64'), width: map.width, height: map.height, legend };
  }
}
