/**
 * Generated object-detection data: small colour images with 1–3 filled rectangles on a noisy
 * dark background, each rectangle's box known exactly (KITTI `car` objects).
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { createRandom } from '@digits-ts/dataset';

/** `[left, top, right, bottom]` in pixels (right and bottom exclusive). */
export type TruthBox = [number, number, number, number];

export interface ShapeImage { pixels: Uint8Array; boxes: TruthBox[] }

const overlaps = (a: TruthBox, b: TruthBox, margin: number) => a[0] < b[2] + margin && b[0] < a[2] + margin && a[1] < b[3] + margin && b[1] < a[3] + margin;

/** `count` size×size RGB images (H×W×3) with their boxes; the same seed gives the same images. */
export function shapeImages(count: number, size: number, seed: number): ShapeImage[] {
  const random = createRandom(seed);
  const int = (lo: number, hi: number) => lo + Math.floor(random() * (hi - lo + 1));
  const out: ShapeImage[] = [];
  for (let i = 0; i < count; i++) {
    const pixels = new Uint8Array(size * size * 3);
    for (let p = 0; p < pixels.length; p++) pixels[p] = int(0, 60);
    const boxes: TruthBox[] = [];
    const wanted = int(1, 3);
    for (let tries = 0; boxes.length < wanted && tries < 50; tries++) {
      const [w, h] = [int(10, 24), int(10, 24)];
      const [x, y] = [int(0, size - w), int(0, size - h)];
      const box: TruthBox = [x, y, x + w, y + h];
      if (boxes.some((b) => overlaps(b, box, 3))) continue;
      boxes.push(box);
      const colour = [int(120, 255), int(120, 255), int(120, 255)];
      for (let yy = box[1]; yy < box[3]; yy++) for (let xx = box[0]; xx < box[2]; xx++) pixels.set(colour, (yy * size + xx) * 3);
    }
    out.push({ pixels, boxes });
  }
  return out;
}

/** A KITTI label file for the boxes: type car, the box, zeros elsewhere, z = its index (so the order is known). */
export function kittiText(boxes: readonly TruthBox[]): string {
  return boxes.map((b, i) => `Car 0.00 0 0.00 ${b.join(' ')} 1.50 1.60 3.80 0.00 0.00 ${10 + i} 0.00\n`).join('');
}

/** Writes `<dir>/images/<i>.png` and `<dir>/labels/<i>.txt` (KITTI) for each size×size image; returns the image paths. */
export async function writeKitti(dir: string, images: readonly ShapeImage[], size: number): Promise<string[]> {
  await fs.mkdir(path.join(dir, 'images'), { recursive: true });
  await fs.mkdir(path.join(dir, 'labels'), { recursive: true });
  return Promise.all(images.map(async (image, i) => {
    const name = String(i).padStart(5, '0');
    const file = path.join(dir, 'images', `${name}.png`);
    await fs.writeFile(file, await sharp(Buffer.from(image.pixels), { raw: { width: size, height: size, channels: 3 } }).png().toBuffer());
    await fs.writeFile(path.join(dir, 'labels', `${name}.txt`), kittiText(image.boxes));
    return file;
  }));
}
