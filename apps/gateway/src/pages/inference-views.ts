/**
 * The generic inference result pages (contract §10.6): each input's outputs drawn by the chosen
 * view — Raw Data (NumPy text per output), Image output (the PNG the worker drew), Gradients
 * (an arrow over the input image) or Image Segmentation (the worker's class overlay over the input, and a legend) — as rows the `infer-outputs` template lays out.
 */
import { Errors, type ClassifiedImage } from '@digits-ts/contracts';
import type { ChosenView } from '../forms/view-extensions.ts';
import { numpyText } from './numpy-text.ts';

/** Rows a page shows at most (each may carry two images). */
const MAX_ROWS = 1000;
const COLORS = { red: '#ff0000', green: '#00ff00', blue: '#0000ff' } as const;

type Png = { mime: 'image/png'; data: string };

/** The arrow of the Gradients view in the image's own pixels: a shaft and a caret at its head. */
export interface GradientArrow { gx: number; gy: number; width: number; height: number; x1: number; y1: number; x2: number; y2: number; head: string; color: string; stroke: number }

export interface ViewRow {
  key: string;
  /** The input as the model received it. */
  thumbnail: Png | null;
  raw?: { name: string; text: string }[];
  /** Image output: the worker's PNG, or null past the inputs it draws. */
  image?: { src: string; width: number; height: number } | null;
  gradient?: GradientArrow;
  /** Image Segmentation: the worker's class overlay and its legend, or null past the inputs it draws. */
  segmentation?: { src: string; width: number; height: number; legend: { index: number; text: string; hex_color: string }[] } | null;
}

const flat = (v: unknown): unknown[] => (Array.isArray(v) ? v.flatMap(flat) : [v]);
const round = (x: number) => Math.round(x * 100) / 100;

/**
 * DIGITS' caret: across the centre along (gx·W, gy·H) scaled by `arrow_size` %, the head at the
 * end it points to (the image's y axis points down, as the gradient's does).
 */
export function gradientArrow(gx: number, gy: number, width: number, height: number, color: keyof typeof COLORS, size: number): GradientArrow {
  const dx = (gx * width * size) / 100;
  const dy = (gy * height * size) / 100;
  const [cx, cy] = [width / 2, height / 2];
  const [x1, y1, x2, y2] = [cx - dx / 2, cy - dy / 2, cx + dx / 2, cy + dy / 2];
  const length = Math.hypot(dx, dy);
  const barb = Math.max(1, Math.min(length / 3, Math.max(width, height) / 6));
  const angle = Math.atan2(dy, dx);
  const wing = (turn: number) => `${round(x2 - barb * Math.cos(angle + turn))},${round(y2 - barb * Math.sin(angle + turn))}`;
  return { gx, gy, width, height, x1: round(x1), y1: round(y1), x2: round(x2), y2: round(y2), head: `${wing(Math.PI / 6)} ${round(x2)},${round(y2)} ${wing(-Math.PI / 6)}`, color: COLORS[color], stroke: Math.max(1, round(Math.max(width, height) / 40)) };
}

/** The first two values of the first output: the Gradients view's (gx, gy); fewer is the model's mismatch. */
function gradientOf(outputs: Record<string, unknown>): [number, number] {
  const [name, value] = Object.entries(outputs)[0] ?? ['', []];
  const [gx, gy] = flat(value);
  if (typeof gx !== 'number' || typeof gy !== 'number') {
    throw Errors.MODEL_SHAPE_MISMATCH(`the Gradients view reads two values (gx, gy) from the first output, but "${name}" has ${flat(value).length}`);
  }
  return [gx, gy];
}

/**
 * One row per input that ran, in input order. `dims` are the dataset's `[H, W, C]` (the
 * Gradients view scales by them; the input thumbnail has that size).
 */
export function viewRows(view: ChosenView, images: ClassifiedImage[], dims: number[] | null): ViewRow[] {
  return images.filter((i) => i.outputs).slice(0, MAX_ROWS).map((input): ViewRow => {
    const row: ViewRow = { key: input.source, thumbnail: input.thumbnail ?? null };
    const outputs = input.outputs!;
    if (view.id === 'image-image-output') {
      const drawn = input.outputImage;
      row.image = drawn ? { src: `data:${drawn.mime};base64,${drawn.data}`, width: drawn.width, height: drawn.height } : null;
    } else if (view.id === 'image-segmentation') {
      const drawn = input.segmentation;
      row.segmentation = drawn ? { src: `data:${drawn.mime};base64,${drawn.data}`, width: drawn.width, height: drawn.height, legend: drawn.legend } : null;
    } else if (view.id === 'image-gradients') {
      const [gx, gy] = gradientOf(outputs);
      const [height, width] = dims ?? [1, 1];
      row.gradient = gradientArrow(gx, gy, width!, height!, view.config.arrowColor, view.config.arrowSize);
    } else {
      row.raw = Object.entries(outputs).map(([name, value]) => ({ name, text: numpyText(value) }));
    }
    return row;
  });
}
