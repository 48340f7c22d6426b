// µs per image for prepareImage on a 28×28 gray PNG (MNIST-like): fast path vs a forced sharp path.
// Run: npx tsx packages/imaging/bench/prepare.bench.ts
import sharp from 'sharp';
import { configureSharp, prepareImage, toChannels, resizeImage, type PrepareOptions } from '../src/index.ts';
import { decodeWithSharp } from '../src/sharp-decode.ts';

configureSharp({ concurrency: 1, cacheMemoryMb: 0 });

/** A digit-like image: a dark background with a bright ring stroke, compressible like MNIST. */
function digit(seed: number): Buffer {
  const data = Buffer.alloc(28 * 28);
  for (let y = 0; y < 28; y++) {
    for (let x = 0; x < 28; x++) {
      const d = Math.hypot(x - 14 - (seed % 3), y - 14) - 7 - (seed % 4);
      data[y * 28 + x] = Math.abs(d) < 2 ? 255 - Math.floor(Math.abs(d) * 60) : 0;
    }
  }
  return data;
}

const pngs = await Promise.all(
  Array.from({ length: 64 }, (_, i) => sharp(digit(i), { raw: { width: 28, height: 28, channels: 1 } }).toColourspace('b-w').png().toBuffer()),
);
const opts: PrepareOptions = { width: 28, height: 28, channels: 1, resizeMode: 'squash', encoding: 'png', maxPixels: 1 << 24 };

async function forcedSharp(png: Buffer): Promise<Buffer> {
  const decoded = await decodeWithSharp(png, opts.maxPixels);
  const img = await resizeImage(toChannels(decoded, 1), { width: 28, height: 28, mode: 'squash' });
  return sharp(img.data, { raw: { width: 28, height: 28, channels: 1 } }).toColourspace('b-w').png().toBuffer();
}

async function time(name: string, n: number, fn: (png: Buffer) => Promise<unknown>): Promise<void> {
  for (let i = 0; i < 500; i++) await fn(pngs[i % pngs.length] as Buffer);
  const start = process.hrtime.bigint();
  for (let i = 0; i < n; i++) await fn(pngs[i % pngs.length] as Buffer);
  const us = Number(process.hrtime.bigint() - start) / 1e3 / n;
  console.log(`${name.padEnd(48)} ${us.toFixed(1).padStart(8)} µs/image`);
}

console.log(`28x28 gray PNG, ${pngs[0]?.length} bytes; node ${process.version}`);
await time('prepareImage fast path (png, reused)', 20000, (png) => prepareImage(png, opts));
await time("prepareImage fast path (encoding 'none')", 20000, (png) => prepareImage(png, { ...opts, encoding: 'none' }));
await time('prepareImage gray→3 channels (fast-png decode, PNG writer)', 20000, (png) => prepareImage(png, { ...opts, channels: 3 }));
await time('prepareImage 28→32 fill (fast decode + sharp resize)', 3000, (png) => prepareImage(png, { ...opts, width: 32, height: 32, resizeMode: 'fill' }));
await time('forced sharp path (sharp decode + sharp png encode)', 3000, forcedSharp);
