/**
 * Generated segmentation data (issue #21): RGB images of a bright rectangle (class 1) and a dark
 * disc (class 2) on a noisy grey background (class 0), with paletted (PIL mode P) class masks —
 * for the segmentation walkthrough test and bench/train-segmentation.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { encode as encodePng } from 'fast-png';
import { encodeImage } from '@digits-ts/imaging';

export const SHAPE_PALETTE: [number, number, number][] = [[0, 0, 0], [220, 40, 40], [40, 200, 60]];
export const SHAPE_CLASSES = ['background', 'rectangle', 'disc'];

/** A seeded generator (mulberry32), so every run draws the same images. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = Math.imul(a ^ (a >>> 15), 1 | a);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

/** Sample `i` of side `size`: RGB pixels and its class mask (the disc drawn over the rectangle). */
export function shapesSample(i: number, size: number): { rgb: Buffer; mask: Uint8Array } {
  const r = random(i + 1);
  const scale = size / 32;
  const mask = new Uint8Array(size * size);
  const [rx, ry, rw, rh] = [Math.floor(r() * 18 * scale), Math.floor(r() * 18 * scale), Math.floor((6 + r() * 9) * scale), Math.floor((6 + r() * 9) * scale)];
  const [cx, cy, radius] = [(6 + r() * 20) * scale, (6 + r() * 20) * scale, (3 + r() * 4) * scale];
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      if (x >= rx && x < rx + rw && y >= ry && y < ry + rh) mask[y * size + x] = 1;
      if ((x - cx) ** 2 + (y - cy) ** 2 <= radius ** 2) mask[y * size + x] = 2;
    }
  }
  const rgb = Buffer.alloc(size * size * 3);
  mask.forEach((k, p) => {
    const base = k === 1 ? [230, 210, 90] : k === 2 ? [30, 40, 150] : [120, 120, 120];
    for (let c = 0; c < 3; c++) rgb[p * 3 + c] = Math.max(0, Math.min(255, base[c]! + Math.round((r() - 0.5) * 70)));
  });
  return { rgb, mask };
}

export const shapesRgbPng = (rgb: Buffer, size: number) => encodeImage({ data: rgb, width: size, height: size, channels: 3 }, 'png');
/** A paletted (PIL mode P) PNG whose indices are the classes. */
export const shapesMaskPng = (mask: Uint8Array, size: number) => Buffer.from(encodePng({ width: size, height: size, data: mask, depth: 8, channels: 1, palette: SHAPE_PALETTE }));

/** `count` pairs as `<dir>/images/NNNN.png` and `<dir>/labels/NNNN.png`, and `<dir>/classes.txt`. */
export async function writeShapesDataset(dir: string, count: number, size: number): Promise<void> {
  await fs.mkdir(path.join(dir, 'images'), { recursive: true });
  await fs.mkdir(path.join(dir, 'labels'), { recursive: true });
  for (let i = 0; i < count; i++) {
    const { rgb, mask } = shapesSample(i, size);
    const name = String(i).padStart(5, '0');
    await fs.writeFile(path.join(dir, 'images', `${name}.png`), await shapesRgbPng(rgb, size));
    await fs.writeFile(path.join(dir, 'labels', `${name}.png`), shapesMaskPng(mask, size));
  }
  await fs.writeFile(path.join(dir, 'classes.txt'), `${SHAPE_CLASSES.join('\n')}\n`);
}
