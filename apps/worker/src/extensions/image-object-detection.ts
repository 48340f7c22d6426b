/**
 * The image-object-detection extension (contract §7.7): images with KITTI label files, padded
 * and resized, each label a 1×(M+1)×16 float array of its objects (row 0 = [n, 16, 0…]).
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { Errors, type ImageObjectDetectionOptions } from '@digits-ts/contracts';
import { shuffleInPlace, type RandomSource } from '@digits-ts/dataset';
import { resizeImage, type RawImage } from '@digits-ts/imaging';
import { confinedRealPath } from '../confined-path.ts';
import { mapInOrder } from '../in-order.ts';
import { listImages, loadImage, type PairLoading } from './image-processing.ts';

/** Values per label row. */
export const LABEL_ROW = 16;

/** DIGITS' default class ids (KITTI types and a few more); any other type is 0. */
export const DEFAULT_CLASSES: Readonly<Record<string, number>> = {
  dontcare: 0, car: 1, van: 2, truck: 3, bus: 4, pickup: 5, 'vehicle-with-trailer': 6, 'special-vehicle': 7,
  person: 8, pedestrian: 8, 'person-fa': 9, 'person?': 10, people: 11, cyclist: 12, tram: 13, person_sitting: 14, misc: 15,
};

/** One object of a KITTI label line. */
export interface KittiObject {
  type: string;
  truncated: number;
  occluded: number;
  alpha: number;
  left: number;
  top: number;
  right: number;
  bottom: number;
  height: number;
  width: number;
  length: number;
  x: number;
  y: number;
  z: number;
  rotationY: number;
}

/** A label file's objects; blank lines skipped, a line of fewer than 15 fields fails (§7.7). */
export function parseKitti(text: string, file: string): KittiObject[] {
  const objects: KittiObject[] = [];
  for (const line of text.split(/\r?\n/)) {
    if (line.trim() === '') continue;
    const f = line.trim().split(/\s+/);
    if (f.length < 15) throw Errors.DATASET_BUILD_FAILED(`Invalid label format in "${file}"`);
    const n = f.slice(1, 15).map(Number);
    if (n.some((v) => !Number.isFinite(v))) throw Errors.DATASET_BUILD_FAILED(`Invalid label format in "${file}"`);
    const [truncated, occluded, alpha, left, top, right, bottom, height, width, length, x, y, z, rotationY] = n as [number, number, number, number, number, number, number, number, number, number, number, number, number, number];
    objects.push({ type: f[0]!.toLowerCase(), truncated, occluded, alpha, left, top, right, bottom, height, width, length, x, y, z, rotationY });
  }
  return objects;
}

/** The class id of a type: the custom list's index when one is given, else DIGITS' table; unknown → 0. */
export function classIdOf(type: string, custom: readonly string[]): number {
  if (custom.length > 0) {
    const i = custom.indexOf(type);
    return i < 0 ? 0 : i;
  }
  return Object.hasOwn(DEFAULT_CLASSES, type) ? DEFAULT_CLASSES[type]! : 0;
}

/** How a stage's images and boxes are transformed. */
export interface LabelRules {
  /** x and y factors of the resize (1 without). */
  scaleX: number;
  scaleY: number;
  /** Objects narrower or shorter than this (original pixels) become class 0; 0 never. */
  minBoxSize: number;
  customClasses: readonly string[];
}

/**
 * The label array (M+1)×16, flat: row 0 `[n, 16, 0…]`, then one record per object sorted by z
 * descending, `[left, top, w, h, alpha, class, 0, rotation_y, truncated, occluded, length, width, height, x, y, z]`.
 */
export function labelArray(objects: readonly KittiObject[], maxObjects: number, rules: LabelRules): Float32Array {
  const out = new Float32Array((maxObjects + 1) * LABEL_ROW);
  out[0] = objects.length;
  out[1] = LABEL_ROW;
  const sorted = [...objects].sort((a, b) => b.z - a.z);
  sorted.forEach((o, i) => {
    const [w, h] = [o.right - o.left, o.bottom - o.top];
    const small = rules.minBoxSize > 0 && (w < rules.minBoxSize || h < rules.minBoxSize);
    const cls = small ? 0 : classIdOf(o.type, rules.customClasses);
    out.set([o.left * rules.scaleX, o.top * rules.scaleY, w * rules.scaleX, h * rules.scaleY, o.alpha, cls, 0, o.rotationY, o.truncated, o.occluded, o.length, o.width, o.height, o.x, o.y, o.z], (i + 1) * LABEL_ROW);
  });
  return out;
}

/** One stage's inputs: its images (shuffled) with their label files' objects, and M. */
export interface DetectionStage { images: { file: string; objects: KittiObject[] }[]; maxObjects: number }

/** Reads a stage's folders (§7.7): label files directly in the label folder, images found recursively. */
export async function readDetectionStage(imageFolder: string, labelFolder: string, roots: readonly string[], random: RandomSource): Promise<DetectionStage> {
  const real = await confinedRealPath(labelFolder, roots, () => Errors.DATASET_BUILD_FAILED(`Folder "${labelFolder}" does not exist or is not reachable`));
  const names = (await fs.readdir(real, { withFileTypes: true })).filter((e) => e.isFile() && e.name.endsWith('.txt')).map((e) => e.name);
  if (names.length === 0) throw Errors.DATASET_BUILD_FAILED(`error: no label files found in ${labelFolder}`);
  const labels = new Map<string, KittiObject[]>();
  for (const name of names) labels.set(name.slice(0, -4), parseKitti(await fs.readFile(path.join(real, name), 'utf8'), path.join(labelFolder, name)));
  const maxObjects = Math.max(0, ...[...labels.values()].map((o) => o.length));
  const files = shuffleInPlace(await listImages(imageFolder, roots), random);
  const images = files.map((file) => {
    const key = path.parse(file).name;
    const objects = labels.get(key);
    if (!objects) throw Errors.DATASET_BUILD_FAILED(`Label key ${key} not found in label folder`);
    return { file, objects };
  });
  return { images, maxObjects };
}

/** Pastes `img` at the top left of a black width×height canvas; a larger image fails (§7.7). */
export function padImage(img: RawImage, width: number, height: number): RawImage {
  if (img.width > width) throw Errors.DATASET_BUILD_FAILED(`Source image width ${img.width} is greater than padding width ${width}`);
  if (img.height > height) throw Errors.DATASET_BUILD_FAILED(`Source image height ${img.height} is greater than padding height ${height}`);
  if (img.width === width && img.height === height) return img;
  const c = img.channels;
  const data = Buffer.alloc(width * height * c);
  for (let y = 0; y < img.height; y++) img.data.copy(data, y * width * c, y * img.width * c, (y + 1) * img.width * c);
  return { data, width, height, channels: c };
}

/** A stage's entries: each image loaded, converted, padded and resized, with its label array. */
export function detectionEntries(stage: DetectionStage, options: ImageObjectDetectionOptions, validation: boolean, how: PairLoading): AsyncGenerator<{ feature: RawImage; label: Float32Array }> {
  function* unlessAborted() {
    for (const image of stage.images) {
      how.signal?.throwIfAborted();
      yield image;
    }
  }
  return mapInOrder(unlessAborted(), how.threads, async ({ file, objects }) => {
    let image = await loadImage(file, options.channelConversion, how.roots, how.maxPixels);
    if (options.padding) image = padImage(image, options.padding.width, options.padding.height);
    let [scaleX, scaleY] = [1, 1];
    if (options.resize) {
      [scaleX, scaleY] = [options.resize.width / image.width, options.resize.height / image.height];
      image = await resizeImage(image, { width: options.resize.width, height: options.resize.height, mode: 'squash' });
    }
    const rules = { scaleX, scaleY, minBoxSize: validation ? options.valMinBoxSize : 0, customClasses: options.customClasses };
    return { feature: image, label: labelArray(objects, stage.maxObjects, rules) };
  });
}
