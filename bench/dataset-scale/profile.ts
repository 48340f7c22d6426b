/**
 * Per-image profile of the dataset build's image step on photo-like JPEGs (one thread, one image
 * at a time): prepareImage per resize mode and encoding, and the steps of the general path
 * (decode to raw pixels → resize → encode) for comparison.
 *
 *   npx tsx bench/dataset-scale/profile.ts [--images 48] [--size 256] [--rounds 3]
 */
import { parseArgs } from 'node:util';
import { configureSharp, decodeImage, encodeImage, prepareImage, resizeImage, toChannels, type ImageEncoding, type ResizeMode } from '@digits-ts/imaging';
import { photoJpeg } from './photos.ts';

const { values: args } = parseArgs({ options: { images: { type: 'string', default: '48' }, size: { type: 'string', default: '256' }, rounds: { type: 'string', default: '3' } } });
const [count, size, rounds] = [Number(args.images), Number(args.size), Number(args.rounds)];
const MAX_PIXELS = 8192 * 8192;
const MODES: ResizeMode[] = ['squash', 'crop', 'fill', 'half_crop'];
const ENCODINGS: ImageEncoding[] = ['none', 'jpg', 'png'];

// as in the image threads: one libvips thread per pipeline, no operation cache
configureSharp({ concurrency: 1, cacheMemoryMb: 0 });
const photos = await Promise.all(Array.from({ length: count }, (_, i) => photoJpeg(i, 1).then((p) => p.jpeg)));
const pixels = await Promise.all(photos.map((jpeg) => decodeImage(jpeg, { maxPixels: MAX_PIXELS })));
const megapixels = pixels.reduce((n, p) => n + p.width * p.height, 0) / count / 1e6;

/**
 * Best of `rounds` passes over every photo, in CPU µs per image (this process, all its threads):
 * CPU time, not wall time, so other work on a shared machine does not inflate the figures.
 */
async function time(fn: (i: number) => Promise<unknown>): Promise<number> {
  let best = Infinity;
  for (let r = 0; r < rounds; r++) {
    const start = process.cpuUsage();
    for (let i = 0; i < count; i++) await fn(i);
    const used = process.cpuUsage(start);
    best = Math.min(best, (used.user + used.system) / count);
  }
  return best;
}

const us = (n: number) => `${Math.round(n)}`.padStart(7);
console.log(`${count} photo-like JPEGs, mean ${megapixels.toFixed(2)} Mpx, ${(photos.reduce((n, p) => n + p.length, 0) / count / 1024).toFixed(0)} KiB; target ${size}×${size}×3; CPU µs/image, best of ${rounds}`);
console.log(`decode to raw pixels (decodeImage): ${us(await time((i) => decodeImage(photos[i]!, { maxPixels: MAX_PIXELS })))}`);
console.log('\n| mode | resize raw | encode jpg | encode png | prepare none | prepare jpg | prepare png |\n|---|---:|---:|---:|---:|---:|---:|');
for (const mode of MODES) {
  const resized = await Promise.all(pixels.map((p) => resizeImage(toChannels(p, 3), { width: size, height: size, mode })));
  const cells = [
    await time((i) => resizeImage(toChannels(pixels[i]!, 3), { width: size, height: size, mode })),
    await time((i) => encodeImage(resized[i]!, 'jpg')),
    await time((i) => encodeImage(resized[i]!, 'png')),
  ];
  for (const encoding of ENCODINGS) {
    cells.push(await time((i) => prepareImage(photos[i]!, { width: size, height: size, channels: 3, resizeMode: mode, encoding, maxPixels: MAX_PIXELS })));
  }
  console.log(`| ${mode} | ${cells.map(us).join(' | ')} |`);
}
