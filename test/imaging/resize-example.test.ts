// resizeExample and the bundled sample picture: the dataset build's own preparation, per resize
// mode, channel count and encoding, with DIGITS' byte counts (contract §11.7).
import fs from 'node:fs/promises';
import t from 'tap';
import sharp from 'sharp';
import { JPEG_OPTIONS, prepareImage, readSampleImage, resizeExample, SAMPLE_IMAGE_PATH, type ResizeMode } from '@digits-ts/imaging';
import { seededRandom } from './images.ts';

const MODES: ResizeMode[] = ['crop', 'squash', 'fill', 'half_crop'];
const MAX_PIXELS = 1e8;

t.test('the sample is a modest colour photo-like JPEG shipped in the package', async (t) => {
  const bytes = await fs.readFile(SAMPLE_IMAGE_PATH);
  t.ok(bytes.length > 8_000 && bytes.length < 100_000, `${bytes.length} bytes`);
  const meta = await sharp(bytes).metadata();
  t.match(meta, { format: 'jpeg', width: 400, height: 300, channels: 3 });
  const stats = await sharp(bytes).stats();
  t.ok(stats.channels.every((c) => c.stdev > 20), 'not a flat picture');
  t.equal(await readSampleImage(), await readSampleImage(), 'read once');
});

t.test('every mode, channel count and encoding gives the requested shape and byte count', async (t) => {
  // wider, taller and same-ratio targets than the 400×300 sample
  const sizes = [[64, 32], [30, 90], [40, 30]] as const;
  for (const resizeMode of MODES) {
    for (const [width, height] of sizes) {
      for (const channels of [1, 3] as const) {
        for (const encoding of ['none', 'png', 'jpg'] as const) {
          const label = `${resizeMode} ${width}x${height}x${channels} ${encoding}`;
          const example = await resizeExample({ width, height, channels, resizeMode, encoding, maxPixels: MAX_PIXELS });
          t.equal(example.mime, encoding === 'jpg' ? 'image/jpeg' : 'image/png', `${label}: mime`);
          const meta = await sharp(example.data).metadata();
          t.match(meta, { format: encoding === 'jpg' ? 'jpeg' : 'png', width, height, channels }, `${label}: picture`);
          t.equal(example.bytes, encoding === 'none' ? width * height * channels : example.data.length, `${label}: bytes`);
        }
      }
    }
  }
});

t.test('the pixels are the dataset build\'s pixels', async (t) => {
  const sample = await readSampleImage();
  for (const resizeMode of MODES) {
    for (const channels of [1, 3] as const) {
      const opts = { width: 48, height: 48, channels, resizeMode, maxPixels: MAX_PIXELS };
      // the same seeded noise for both, so fill / half_crop compare too
      const built = await prepareImage(sample, { ...opts, encoding: 'none', random: seededRandom(3) });
      for (const encoding of ['none', 'png'] as const) {
        const example = await resizeExample({ ...opts, encoding, random: seededRandom(3) });
        t.equal((await sharp(example.data).metadata()).channels, channels, `${resizeMode} ${channels} ${encoding}: channels`);
        // sharp's raw output is sRGB unless told otherwise
        const data = await sharp(example.data).toColourspace(channels === 1 ? 'b-w' : 'srgb').raw().toBuffer();
        t.same(data, built.pixels.data, `${resizeMode} ${channels} ${encoding}: lossless and identical`);
      }
      const jpg = await resizeExample({ ...opts, encoding: 'jpg', random: seededRandom(3) });
      const reference = await sharp(built.pixels.data, { raw: { width: 48, height: 48, channels } }).toColourspace(channels === 1 ? 'b-w' : 'srgb').jpeg(JPEG_OPTIONS).toBuffer();
      t.same(jpg.data, reference, `${resizeMode} ${channels} jpg: the build's JPEG quality`);
    }
  }
});

t.test('fill and half_crop pad with noise, as the build does', async (t) => {
  // the 400×300 sample into a square: fill pads 50 noise rows top and bottom
  const a = await resizeExample({ width: 100, height: 100, channels: 3, resizeMode: 'fill', encoding: 'none', maxPixels: MAX_PIXELS });
  const b = await resizeExample({ width: 100, height: 100, channels: 3, resizeMode: 'fill', encoding: 'none', maxPixels: MAX_PIXELS });
  const top = async (png: Buffer) => (await sharp(png).raw().toBuffer()).subarray(0, 100 * 10 * 3);
  t.not(Buffer.compare(await top(a.data), await top(b.data)), 0, 'fresh noise per call');
});

t.test('bad options are refused with the house message', async (t) => {
  await t.rejects(resizeExample({ width: 0, height: 10, channels: 3, resizeMode: 'crop', encoding: 'png', maxPixels: MAX_PIXELS }), { code: 'VALIDATION_FAILED', message: /Expected positive integer for width but received 0/ });
  await t.rejects(resizeExample({ width: 10, height: 10, channels: 3, resizeMode: 'stretch' as ResizeMode, encoding: 'png', maxPixels: MAX_PIXELS }), { code: 'VALIDATION_FAILED' });
});
