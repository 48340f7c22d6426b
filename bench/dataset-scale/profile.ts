/**
 * Per-image profile of the dataset build's image step on photo-like JPEGs (one thread, one image
 * at a time), before and after the one-pipeline JPEG path and DIGITS' encoder settings:
 *   before: decodeImage → toChannels → resizeImage → sharp encode at its defaults (JPEG with an
 *           optimising pass, PNG without row filters), what prepareImage did for every JPEG;
 *   after:  prepareImage as it is now;
 *   PIL:    the same photos through pil_scale.py's DIGITS per-image work (+ its mean sum), when
 *           /usr/bin/python3 has PIL, lmdb and numpy.
 *
 *   npx tsx bench/dataset-scale/profile.ts [--images 48] [--size 256] [--rounds 3]
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import sharp from 'sharp';
import { configureSharp, decodeImage, prepareImage, resizeImage, toChannels, type ImageEncoding, type RawImage, type ResizeMode } from '@digits-ts/imaging';
import { photoJpeg } from './photos.ts';

const { values: args } = parseArgs({ options: { images: { type: 'string', default: '48' }, size: { type: 'string', default: '256' }, rounds: { type: 'string', default: '3' } } });
const [count, size, rounds] = [Number(args.images), Number(args.size), Number(args.rounds)];
const MAX_PIXELS = 8192 * 8192;
const MODES: ResizeMode[] = ['squash', 'crop', 'fill', 'half_crop'];
const ENCODINGS: ImageEncoding[] = ['none', 'jpg', 'png'];

// as in the image threads: one libvips thread per pipeline, no operation cache
configureSharp({ concurrency: 1, cacheMemoryMb: 0 });
const photos = await Promise.all(Array.from({ length: count }, (_, i) => photoJpeg(i, 1).then((p) => p.jpeg)));
const megapixels = (await Promise.all(photos.map((p) => sharp(p).metadata()))).reduce((n, m) => n + m.width * m.height, 0) / count / 1e6;

/** The encoder as it was: sharp's defaults at quality 90. */
function encodeBefore(img: RawImage, encoding: ImageEncoding): Promise<Buffer> | null {
  if (encoding === 'none') return null;
  const pipeline = sharp(img.data, { raw: { width: img.width, height: img.height, channels: img.channels } });
  return (encoding === 'png' ? pipeline.png() : pipeline.jpeg({ quality: 90 })).toBuffer();
}

async function before(jpeg: Buffer, mode: ResizeMode, encoding: ImageEncoding): Promise<number> {
  const pixels = await resizeImage(toChannels(await decodeImage(jpeg, { maxPixels: MAX_PIXELS }), 3), { width: size, height: size, mode });
  return (await encodeBefore(pixels, encoding))?.length ?? 0;
}

async function after(jpeg: Buffer, mode: ResizeMode, encoding: ImageEncoding): Promise<number> {
  const prepared = await prepareImage(jpeg, { width: size, height: size, channels: 3, resizeMode: mode, encoding, maxPixels: MAX_PIXELS });
  return prepared.encoded?.length ?? 0;
}

/**
 * Best of `rounds` passes over every photo, in CPU µs per image (this process, all its threads),
 * and the mean output bytes: CPU time, not wall time, so other work on a shared machine does not
 * inflate the figures.
 */
async function time(fn: (i: number) => Promise<number>): Promise<{ us: number; bytes: number }> {
  let best = Infinity;
  let bytes = 0;
  for (let r = 0; r < rounds; r++) {
    const start = process.cpuUsage();
    bytes = 0;
    for (let i = 0; i < count; i++) bytes += await fn(i);
    const used = process.cpuUsage(start);
    best = Math.min(best, (used.user + used.system) / count);
  }
  return { us: best, bytes: bytes / count };
}

/** CPU µs per image of DIGITS' per-image work on the same photos, keyed `mode/encoding`, or null without the Python side. */
async function pilProfile(): Promise<Record<string, number> | null> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'profile-photos-'));
  try {
    await Promise.all(photos.map((jpeg, i) => fs.writeFile(path.join(dir, `${i}.jpg`), jpeg)));
    const script = path.join(path.dirname(fileURLToPath(import.meta.url)), 'pil_scale.py');
    const r = spawnSync('/usr/bin/python3', [script, '--profile', dir, '--size', String(size), '--rounds', String(rounds)], { encoding: 'utf8' });
    return r.status === 0 ? (JSON.parse(r.stdout) as Record<string, number>) : null;
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

const us = (n: number) => `${Math.round(n)}`.padStart(6);
console.log(`${count} photo-like JPEGs, mean ${megapixels.toFixed(2)} Mpx, ${(photos.reduce((n, p) => n + p.length, 0) / count / 1024).toFixed(0)} KiB; target ${size}×${size}×3; CPU µs per image, best of ${rounds}`);
console.log(`decode to raw pixels alone (decodeImage): ${us((await time(async (i) => (await decodeImage(photos[i]!, { maxPixels: MAX_PIXELS })).width)).us)}`);
const pilUs = await pilProfile();
const header = ENCODINGS.flatMap((e) => [`before ${e}`, `after ${e}`, ...(pilUs ? [`PIL ${e}`] : [])]);
console.log(`\n| mode | ${header.join(' | ')} |\n|---|${header.map(() => '---:').join('|')}|`);
const sizes = { before: { jpg: 0, png: 0 }, after: { jpg: 0, png: 0 } };
for (const mode of MODES) {
  const cells: string[] = [];
  for (const encoding of ENCODINGS) {
    for (const [name, fn] of [['before', before], ['after', after]] as const) {
      const r = await time((i) => fn(photos[i]!, mode, encoding));
      cells.push(us(r.us));
      if (encoding !== 'none') sizes[name][encoding] += r.bytes / MODES.length;
    }
    if (pilUs) cells.push(us(pilUs[`${mode}/${encoding}`]!));
  }
  console.log(`| ${mode} | ${cells.join(' | ')} |`);
}
const kib = (n: number) => `${(n / 1024).toFixed(1)} KiB`;
console.log(`\nmean entry bytes: before jpg ${kib(sizes.before.jpg)}, png ${kib(sizes.before.png)}; after jpg ${kib(sizes.after.jpg)}, png ${kib(sizes.after.png)}; raw ${kib(size * size * 3)}`);
