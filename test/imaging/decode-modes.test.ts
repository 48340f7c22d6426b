// decodeImage: contract §6.6 mode rules (what each kind of source becomes).
import t from 'tap';
import sharp from 'sharp';
import { encode } from 'fast-png';
import { decodeImage } from '@digits-ts/imaging';
import { handFilteredPng, insertAfterIhdr, makePixels, noisePixels, overWhite, pngChunk, sharpRaw, toJpeg, toPng } from './images.ts';

const MAX = 10_000_000;

t.test('RGB and L PNGs decode unchanged', async (t) => {
  const rgb = noisePixels(13, 7, 3);
  const out = await decodeImage(await toPng(rgb), { maxPixels: MAX });
  t.match(out, { width: 13, height: 7, channels: 3 });
  t.ok(out.data.equals(rgb.data));
  const grey = noisePixels(9, 11, 1);
  const g = await decodeImage(await toPng(grey), { maxPixels: MAX });
  t.match(g, { width: 9, height: 11, channels: 1 });
  t.ok(g.data.equals(grey.data));
});

t.test('every PNG row filter decodes exactly, as libpng does', async (t) => {
  for (const channels of [1, 3] as const) {
    const p = noisePixels(23, 17, channels, channels);
    for (const filters of [[0], [1], [2], [3], [4], [4, 3, 2, 1, 0]]) {
      const png = handFilteredPng(p, filters);
      const out = await decodeImage(png, { maxPixels: MAX });
      t.ok(out.data.equals(p.data), `${channels} channels, filters ${filters.join(',')}`);
      t.ok(out.data.equals(await sharpRaw(png, channels === 1)), 'same as libpng');
    }
  }
  const la = noisePixels(9, 5, 2, 5);
  const fromLa = await decodeImage(handFilteredPng(la, [4, 1, 3]), { maxPixels: MAX });
  t.same([...fromLa.data], Array.from({ length: 45 }, (_, i) => overWhite(la.data[2 * i] as number, la.data[2 * i + 1] as number)), 'LA with 2-byte pixels');
  const adaptive = await toPng(noisePixels(64, 48, 3, 8), { adaptiveFiltering: true });
  t.ok((await decodeImage(adaptive, { maxPixels: MAX })).data.equals(await sharpRaw(adaptive, false)), 'libpng adaptive filtering');
  const bad = handFilteredPng(p4(), [5]);
  await t.rejects(decodeImage(bad, { maxPixels: MAX }), { code: 'IMAGE_DECODE_FAILED', message: /filter type 5/ });
});

const p4 = () => noisePixels(4, 4, 1);

/** 256 pixels: alpha 0..255 under a fixed colour. */
const alphaRamp = (channels: 2 | 4, width = 256, height = 1) => makePixels(width, height, channels, (x) => (channels === 4 ? [200, 100, 50, x % 256] : [90, x % 256]));

t.test('RGBA composites over white with PIL rounding (small: JS decoder; large: sharp)', async (t) => {
  for (const [width, height] of [[256, 1], [256, 300]] as const) {
    const out = await decodeImage(await toPng(alphaRamp(4, width, height)), { maxPixels: MAX });
    t.equal(out.channels, 3);
    const wrong: number[] = [];
    for (let i = 0; i < width * height; i++) {
      const a = i % 256;
      if (out.data[i * 3] !== overWhite(200, a) || out.data[i * 3 + 1] !== overWhite(100, a) || out.data[i * 3 + 2] !== overWhite(50, a)) wrong.push(i);
    }
    t.same(wrong, [], `${width}x${height}`);
    t.same([...out.data.subarray(0, 3)], [255, 255, 255], 'alpha 0 is white');
    t.same([...out.data.subarray(255 * 3, 256 * 3)], [200, 100, 50], 'alpha 255 is the colour');
  }
});

t.test('LA composites over white into 1 channel', async (t) => {
  for (const height of [1, 300]) {
    const out = await decodeImage(await toPng(alphaRamp(2, 256, height)), { maxPixels: MAX });
    t.equal(out.channels, 1);
    const wrong = [...out.data].filter((v, i) => v !== overWhite(90, i % 256));
    t.same(wrong, [], `height ${height}`);
  }
});

t.test('palette PNG with transparency becomes RGB over white', async (t) => {
  const src = makePixels(4, 1, 4, (x) => [[255, 0, 0, 255], [0, 255, 0, 128], [0, 0, 255, 0], [10, 20, 30, 200]][x] as number[]);
  const png = await sharp(src.data, { raw: { width: 4, height: 1, channels: 4 } }).png({ palette: true, dither: 0 }).toBuffer();
  t.equal(png[25], 3, 'fixture is a palette PNG');
  const out = await decodeImage(png, { maxPixels: MAX });
  t.equal(out.channels, 3);
  t.same([...out.data], [255, 0, 0, overWhite(0, 128), 255, overWhite(0, 128), 255, 255, 255, overWhite(10, 200), overWhite(20, 200), overWhite(30, 200)]);
});

t.test('1-bit gray PNG becomes L 0/255', async (t) => {
  const png = Buffer.from(encode({ width: 8, height: 1, channels: 1, depth: 1, data: new Uint8Array([0b10110001]) }));
  const out = await decodeImage(png, { maxPixels: MAX });
  t.equal(out.channels, 1);
  t.same([...out.data], [255, 0, 255, 255, 0, 0, 0, 255]);
});

t.test('a tRNS colour key on a gray PNG is ignored, as PIL keeps mode L', async (t) => {
  const trns = pngChunk('tRNS', Buffer.from([0, 50]));
  // 4x1 takes the JS decoder, 300x300 goes through sharp
  for (const size of [4, 300]) {
    const png = insertAfterIhdr(await toPng(makePixels(size, size === 4 ? 1 : size, 1, (x) => [(x % 4) * 50])), trns);
    const out = await decodeImage(png, { maxPixels: MAX });
    t.equal(out.channels, 1, `${size} wide`);
    t.same([...out.data.subarray(0, 4)], [0, 50, 100, 150], `${size} wide: keyed value stays 50, not white`);
  }
});

t.test('a tRNS colour key on an RGB PNG is ignored, as PIL keeps mode RGB', async (t) => {
  const trns = pngChunk('tRNS', Buffer.from([0, 50, 0, 60, 0, 70]));
  for (const size of [4, 300]) {
    const src = makePixels(size, size === 4 ? 1 : size, 3, (x) => [(x % 4) * 50, (x % 4) * 60, (x % 4) * 70]);
    const out = await decodeImage(insertAfterIhdr(await toPng(src), trns), { maxPixels: MAX });
    t.equal(out.channels, 3, `${size} wide`);
    t.same([...out.data.subarray(3, 6)], [50, 60, 70], `${size} wide: keyed colour kept, not white`);
  }
});

t.test('gray JPEG stays 1 channel, colour JPEG 3', async (t) => {
  const grey = await decodeImage(await toJpeg(makePixels(16, 16, 1, () => [120])), { maxPixels: MAX });
  t.match(grey, { channels: 1, width: 16, height: 16 });
  t.ok([...grey.data].every((v) => Math.abs(v - 120) <= 1));
  const rgb = await decodeImage(await toJpeg(makePixels(16, 16, 3, () => [200, 40, 40])), { maxPixels: MAX });
  t.match(rgb, { channels: 3 });
  t.ok(Math.abs((rgb.data[0] as number) - 200) <= 3 && Math.abs((rgb.data[1] as number) - 40) <= 3);
});

t.test('CMYK JPEG becomes RGB', async (t) => {
  const cmyk = await sharp(makePixels(8, 8, 3, () => [200, 100, 50]).data, { raw: { width: 8, height: 8, channels: 3 } })
    .toColourspace('cmyk')
    .jpeg()
    .toBuffer();
  t.equal((await sharp(cmyk).metadata()).space, 'cmyk', 'fixture is CMYK');
  const out = await decodeImage(cmyk, { maxPixels: MAX });
  t.match(out, { channels: 3, width: 8, height: 8 });
  const [r, g, b] = [...out.data.subarray(0, 3)] as [number, number, number];
  t.ok(r > g && g > b && Math.abs(r - 200) < 12 && Math.abs(b - 50) < 40, `close to the source colour: ${r},${g},${b}`);
});

t.test('EXIF orientation is applied (JPEG and PNG eXIf)', async (t) => {
  // left half black, right half white, 8 wide x 4 high; orientation 6 = rotate 90° clockwise
  const src = makePixels(8, 4, 3, (x) => (x < 4 ? [0, 0, 0] : [255, 255, 255]));
  const raw = () => sharp(src.data, { raw: { width: 8, height: 4, channels: 3 } });
  for (const bytes of [await raw().jpeg().withMetadata({ orientation: 6 }).toBuffer(), await raw().png().withMetadata({ orientation: 6 }).toBuffer()]) {
    const out = await decodeImage(bytes, { maxPixels: MAX });
    t.match(out, { width: 4, height: 8 });
    t.ok((out.data[0] as number) < 60, 'top rows come from the black left half');
    t.ok((out.data[out.data.length - 1] as number) > 200, 'bottom rows come from the white right half');
  }
});

t.test('GIF, WebP and TIFF decode to RGB', async (t) => {
  const src = makePixels(6, 5, 3, () => [10, 200, 30]);
  const raw = () => sharp(src.data, { raw: { width: 6, height: 5, channels: 3 } });
  for (const bytes of [await raw().gif().toBuffer(), await raw().webp({ lossless: true }).toBuffer(), await raw().tiff().toBuffer()]) {
    const out = await decodeImage(bytes, { maxPixels: MAX });
    t.match(out, { width: 6, height: 5, channels: 3 });
    t.ok(Math.abs((out.data[1] as number) - 200) <= 4);
  }
});

t.test('16-bit RGB PNG is loaded as 8-bit RGB, as PIL does', async (t) => {
  const png = await sharp(makePixels(4, 4, 3, () => [255, 128, 0]).data, { raw: { width: 4, height: 4, channels: 3 } })
    .toColourspace('rgb16')
    .png()
    .toBuffer();
  t.equal(png[24], 16, 'fixture is 16-bit');
  const out = await decodeImage(png, { maxPixels: MAX });
  t.match(out, { channels: 3, width: 4, height: 4 });
  t.same([...out.data.subarray(0, 3)], [255, 128, 0]);
});

t.test('16-bit LA and RGBA PNGs are composited like their 8-bit forms', async (t) => {
  const la = Buffer.from(encode({ width: 2, height: 1, channels: 2, depth: 16, data: new Uint16Array([0x8000, 0xffff, 0x4000, 0x0000]) }));
  t.same(await decodeImage(la, { maxPixels: MAX }), { data: Buffer.from([128, 255]), width: 2, height: 1, channels: 1 });
  const rgba = Buffer.from(encode({ width: 1, height: 1, channels: 4, depth: 16, data: new Uint16Array([0xc800, 0x6400, 0x3200, 0x8000]) }));
  t.same([...(await decodeImage(rgba, { maxPixels: MAX })).data], [overWhite(200, 128), overWhite(100, 128), overWhite(50, 128)]);
});
