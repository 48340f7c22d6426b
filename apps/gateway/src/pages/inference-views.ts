/**
 * The generic inference result pages (contract §10.6): each input's outputs drawn by the chosen
 * view — Raw Data (NumPy text per output), Image output (the PNG the worker drew), Gradients
 * (an arrow over the input image), Image Segmentation (the worker's class overlay over the input,
 * and a legend) or Bounding boxes (boxes over the input image) — as rows the `infer-outputs`
 * template lays out.
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
  boxes?: BoxDrawing;
}

/** The Bounding boxes view's drawing of one input: its size and each output's boxes, one colour per output. */
export interface BoxDrawing { width: number; height: number; groups: { name: string; color: string; boxes: number[][] }[] }

/** Colours of the box groups, by output name in sorted order. */
const BOX_COLORS = ['#ff0000', '#00c000', '#0060ff', '#ff9900', '#cc00cc', '#00cccc', '#999900', '#ff6688'];

/**
 * Each output as a list of `[left, top, right, bottom, confidence]` rows; rows of confidence ≤ 0
 * dropped (§10.6). An output of another shape is the model's mismatch with this view.
 */
export function boxDrawing(outputs: Record<string, unknown>, width: number, height: number): BoxDrawing {
  const names = Object.keys(outputs).sort();
  const groups = names.map((name, i) => {
    const value = outputs[name];
    const rows = Array.isArray(value) ? value : [];
    if (!Array.isArray(value) || rows.some((r) => !Array.isArray(r) || r.length < 5 || r.some((v) => typeof v !== 'number'))) {
      throw Errors.MODEL_SHAPE_MISMATCH(`the Bounding boxes view reads lists of [left, top, right, bottom, confidence] but output "${name}" is not one`);
    }
    const boxes = (rows as number[][]).filter((r) => r[4]! > 0).map((r) => r.slice(0, 5));
    return { name, color: BOX_COLORS[i % BOX_COLORS.length]!, boxes };
  });
  return { width, height, groups };
}

/** The Bounding boxes view's header: `Found <n> bounding box[es][ in <m> images].` ("in …" unless m = 1). */
export function boxesHeader(rows: readonly ViewRow[]): string {
  const n = rows.reduce((sum, r) => sum + (r.boxes?.groups.reduce((k, g) => k + g.boxes.length, 0) ?? 0), 0);
  return `Found ${n} bounding box${n === 1 ? '' : 'es'}${rows.length === 1 ? '' : ` in ${rows.length} images`}.`;
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
    } else if (view.id === 'image-bounding-boxes') {
      const [height, width] = dims ?? [1, 1];
      row.boxes = boxDrawing(outputs, width!, height!);
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
