// prepareImage on JPEG photos of mixed sizes and aspect ratios: the one-pipeline path (decode,
// scale and crop inside libvips) gives byte for byte the pixels of the general path, in every
// resize mode, for colour and gray files into colour and gray datasets.
import t from 'tap';
import sharp from 'sharp';
import { decodeImage, prepareImage, resizeImage, toChannels, type ResizeMode } from '@digits-ts/imaging';
import { makePixels, seededRandom, toJpeg } from './images.ts';

const MODES: ResizeMode[] = ['squash', 'crop', 'fill', 'half_crop'];
const MAX_PIXELS = 1e7;

/** A smooth colour field with a ripple: photo-like enough that every resize phase shows. */
function photo(width: number, height: number, channels: 1 | 3) {
  return makePixels(width, height, channels, (x, y) => [
    128 + 100 * Math.sin(x / 7 + y / 13),
    (x * 255) / width,
    (y * 255) / height,
  ].map(Math.round));
}

/** decodeImage → toChannels → resizeImage: the path every other format takes. */
async function generalPath(jpeg: Buffer, width: number, height: number, channels: 1 | 3, mode: ResizeMode, seed: number) {
  const decoded = await decodeImage(jpeg, { maxPixels: MAX_PIXELS });
  return resizeImage(toChannels(decoded, channels), { width, height, mode, random: seededRandom(seed) });
}

t.test('mixed-size JPEGs: the same pixels as the general path, every mode', async (t) => {
  // landscape, portrait, near-square, already one side of the target, gray
  const sources: Array<[number, number, 1 | 3]> = [[301, 200, 3], [190, 333, 3], [129, 128, 3], [64, 170, 3], [240, 180, 1]];
  const jpegs = await Promise.all(sources.map(([w, h, c]) => toJpeg(photo(w, h, c), 90)));
  for (const [i, [w, h, c]] of sources.entries()) {
    for (const mode of MODES) {
      for (const channels of [3, 1] as const) {
        // under 4× smaller, so the JPEG is decoded at full size as on the general path
        const [width, height] = channels === 3 ? [96, 96] : [100, 60];
        const name = `${w}x${h}x${c} → ${width}x${height}x${channels} ${mode}`;
        const ours = await prepareImage(jpegs[i]!, { width, height, channels, resizeMode: mode, encoding: 'none', maxPixels: MAX_PIXELS, random: seededRandom(i) });
        const want = await generalPath(jpegs[i]!, width, height, channels, mode, i);
        t.match(ours.pixels, { width, height, channels }, `${name}: shape`);
        t.ok(ours.pixels.data.equals(want.data), `${name}: identical pixels`);
      }
    }
  }
});

t.test('a JPEG 4× or more over the target is decoded at half size: within a level on average', async (t) => {
  const jpeg = await toJpeg(photo(520, 300, 3), 90);
  for (const mode of MODES) {
    const ours = await prepareImage(jpeg, { width: 64, height: 64, channels: 3, resizeMode: mode, encoding: 'none', maxPixels: MAX_PIXELS, random: seededRandom(5) });
    const want = await generalPath(jpeg, 64, 64, 3, mode, 5);
    const diffs = [...ours.pixels.data].map((v, k) => Math.abs(v - want.data[k]!));
    const mean = diffs.reduce((a, b) => a + b, 0) / diffs.length;
    // libvips' linear reduce already differs from PIL's bilinear by this much (bench/dataset-scale/README.md)
    t.ok(mean < 1 && Math.max(...diffs) <= 8, `${mode}: mean ${mean.toFixed(2)}, max ${Math.max(...diffs)}`);
  }
});

t.test('the same encoded bytes follow, for png and jpg', async (t) => {
  const jpeg = await toJpeg(photo(300, 225, 3), 85);
  for (const encoding of ['png', 'jpg'] as const) {
    const out = await prepareImage(jpeg, { width: 80, height: 80, channels: 3, resizeMode: 'half_crop', encoding, maxPixels: MAX_PIXELS, random: seededRandom(2) });
    t.match(await sharp(out.encoded!).metadata(), { format: encoding === 'png' ? 'png' : 'jpeg', width: 80, height: 80, channels: 3 });
    if (encoding === 'png') t.ok((await sharp(out.encoded!).raw().toBuffer()).equals(out.pixels.data), 'png: lossless');
  }
});

t.test('rotated, CMYK and oversized JPEGs keep the general path\'s answers', async (t) => {
  const pixels = photo(120, 80, 3);
  const rotated = await sharp(pixels.data, { raw: { width: 120, height: 80, channels: 3 } }).jpeg().withMetadata({ orientation: 6 }).toBuffer();
  const out = await prepareImage(rotated, { width: 40, height: 60, channels: 3, resizeMode: 'crop', encoding: 'none', maxPixels: MAX_PIXELS });
  t.ok(out.pixels.data.equals((await generalPath(rotated, 40, 60, 3, 'crop', 0)).data), 'EXIF orientation 6: rotated, then scaled');
  const cmyk = await sharp(pixels.data, { raw: { width: 120, height: 80, channels: 3 } }).toColourspace('cmyk').jpeg().toBuffer();
  t.equal((await sharp(cmyk).metadata()).space, 'cmyk', 'fixture is CMYK');
  const fromCmyk = await prepareImage(cmyk, { width: 30, height: 30, channels: 3, resizeMode: 'squash', encoding: 'none', maxPixels: MAX_PIXELS });
  t.ok(fromCmyk.pixels.data.equals((await generalPath(cmyk, 30, 30, 3, 'squash', 0)).data), 'CMYK: converted to RGB as the general path does');
  await t.rejects(prepareImage(rotated, { width: 40, height: 60, channels: 3, resizeMode: 'crop', encoding: 'none', maxPixels: 9599 }), { code: 'IMAGE_TOO_LARGE' });
  const jpeg = await toJpeg(pixels, 90);
  await t.rejects(prepareImage(jpeg.subarray(0, jpeg.length >> 1), { width: 40, height: 40, channels: 3, resizeMode: 'crop', encoding: 'none', maxPixels: MAX_PIXELS }), { code: 'IMAGE_DECODE_FAILED' });
});
