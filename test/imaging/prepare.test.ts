import t from 'tap';
import sharp from 'sharp';
import { prepareImage, type PrepareOptions } from '@digits-ts/imaging';
import { findChunk, flipByte, insertAfterIhdr, makePixels, noisePixels, pngChunk, seededRandom, sharpRaw, toJpeg, toPng } from './images.ts';

const opts = (o: Partial<PrepareOptions> = {}): PrepareOptions => ({ width: 28, height: 28, channels: 1, resizeMode: 'squash', encoding: 'png', maxPixels: 1_000_000, ...o });

t.test('a gray PNG in the dataset shape is reused as is, pixels as sharp decodes them', async (t) => {
  const png = await toPng(noisePixels(28, 28, 1));
  const out = await prepareImage(png, opts());
  t.equal(out.reused, true);
  t.equal(out.encoded, png, 'the very same bytes');
  t.match(out.pixels, { width: 28, height: 28, channels: 1 });
  t.ok(out.pixels.data.equals(await sharpRaw(png, true)), 'identical to sharp / libpng');
});

t.test('an RGB PNG in the dataset shape, including interlaced', async (t) => {
  for (const progressive of [false, true]) {
    const png = await toPng(noisePixels(28, 28, 3, 9), { progressive });
    t.equal(png[28], progressive ? 1 : 0, 'fixture interlace flag');
    const out = await prepareImage(png, opts({ channels: 3 }));
    t.equal(out.encoded, png);
    t.ok(out.pixels.data.equals(await sharpRaw(png, false)), `identical to sharp (interlaced: ${progressive})`);
  }
});

t.test('a large PNG in the dataset shape is reused too (libpng validates it)', async (t) => {
  const png = await toPng(noisePixels(300, 200, 3, 12));
  const out = await prepareImage(png, opts({ width: 300, height: 200, channels: 3 }));
  t.equal(out.encoded, png);
  t.ok(out.pixels.data.equals(await sharpRaw(png, false)));
  await t.rejects(prepareImage(png.subarray(0, png.length - 100), opts({ width: 300, height: 200, channels: 3 })), { code: 'IMAGE_DECODE_FAILED' });
});

t.test('encoding none and jpg on the reuse path', async (t) => {
  const png = await toPng(noisePixels(28, 28, 1, 4));
  const none = await prepareImage(png, opts({ encoding: 'none' }));
  t.same([none.encoded, none.reused], [null, false]);
  t.ok(none.pixels.data.equals(await sharpRaw(png, true)));
  const jpg = await prepareImage(png, opts({ encoding: 'jpg' }));
  t.equal(jpg.reused, false);
  t.match(await sharp(jpg.encoded as Buffer).metadata(), { format: 'jpeg', channels: 1, width: 28, height: 28 });
});

t.test('gray PNG for a colour dataset is converted, not reused', async (t) => {
  const grey = noisePixels(28, 28, 1, 2);
  const out = await prepareImage(await toPng(grey), opts({ channels: 3 }));
  t.equal(out.reused, false);
  t.equal(out.pixels.channels, 3);
  t.same([...out.pixels.data.subarray(0, 6)], [grey.data[0], grey.data[0], grey.data[0], grey.data[1], grey.data[1], grey.data[1]]);
  t.match(await sharp(out.encoded as Buffer).metadata(), { format: 'png', channels: 3 });
});

t.test('RGB for a gray dataset uses PIL luma', async (t) => {
  const out = await prepareImage(await toPng(makePixels(28, 28, 3, () => [255, 0, 0])), opts({ encoding: 'none' }));
  t.ok([...out.pixels.data].every((v) => v === 76));
});

t.test('a tRNS or eXIf chunk disqualifies reuse', async (t) => {
  const png = await toPng(noisePixels(28, 28, 1, 3));
  const keyed = await prepareImage(insertAfterIhdr(png, pngChunk('tRNS', Buffer.from([0, 7]))), opts());
  t.equal(keyed.reused, false);
  t.ok(keyed.pixels.data.equals(await sharpRaw(png, true)), 'colour key ignored, pixels unchanged');
  const rotated = await sharp(noisePixels(28, 28, 1, 3).data, { raw: { width: 28, height: 28, channels: 1 } }).toColourspace('b-w').png().withMetadata({ orientation: 3 }).toBuffer();
  t.not(findChunk(rotated, 'eXIf'), -1, 'fixture has eXIf');
  const out = await prepareImage(rotated, opts());
  t.equal(out.reused, false);
  const plain = await sharpRaw(png, true);
  t.equal(out.pixels.data[0], plain[28 * 28 - 1], 'rotated 180°: first pixel was the last');
});

t.test('RGBA is composited, other sizes resized, channels converted before the resize', async (t) => {
  const rgba = await prepareImage(await toPng(makePixels(28, 28, 4, () => [0, 0, 0, 0])), opts({ channels: 3 }));
  t.ok([...rgba.pixels.data].every((v) => v === 255), 'transparent becomes white');
  const wide = await toPng(makePixels(56, 14, 3, () => [0, 255, 0]));
  const out = await prepareImage(wide, opts({ resizeMode: 'fill', encoding: 'none', random: seededRandom() }));
  t.match(out.pixels, { width: 28, height: 28, channels: 1 });
  const r = seededRandom();
  const noise = Array.from({ length: 7 * 28 }, () => Math.floor(r() * 255));
  t.same([...out.pixels.data.subarray(0, 7 * 28)], noise, '1-channel noise: conversion happened first');
  t.same(out.pixels.data[14 * 28 + 14], 150, 'green as luma');
});

t.test('JPEG and other formats go through sharp', async (t) => {
  const out = await prepareImage(await toJpeg(noisePixels(40, 30, 3)), opts({ channels: 3, resizeMode: 'crop' }));
  t.match(out, { reused: false, pixels: { width: 28, height: 28, channels: 3 } });
  t.match(await sharp(out.encoded as Buffer).metadata(), { format: 'png', width: 28, height: 28 });
});

t.test('corrupt or truncated input in the dataset shape is refused', async (t) => {
  const png = await toPng(noisePixels(28, 28, 1, 6));
  await t.rejects(prepareImage(png.subarray(0, png.length - 12), opts()), { code: 'IMAGE_DECODE_FAILED' });
  const flipped = flipByte(png, findChunk(png, 'IDAT') + 10, 1);
  await t.rejects(prepareImage(flipped, opts()), { code: 'IMAGE_DECODE_FAILED' });
  await t.rejects(prepareImage(Buffer.from('not an image'), opts()), { code: 'IMAGE_DECODE_FAILED' });
  await t.rejects(prepareImage(png, opts({ maxPixels: 783 })), { code: 'IMAGE_TOO_LARGE' });
});

t.test('option checks', async (t) => {
  const png = await toPng(noisePixels(28, 28, 1));
  await t.rejects(prepareImage(png, opts({ width: 2.5 })), { code: 'VALIDATION_FAILED', message: /width/ });
  await t.rejects(prepareImage(png, opts({ channels: 4 as 3 })), { code: 'VALIDATION_FAILED', message: /channels/ });
  await t.rejects(prepareImage(png, opts({ encoding: 'webp' as 'png' })), { code: 'VALIDATION_FAILED', message: /encoding/ });
  await t.rejects(prepareImage(png, opts({ resizeMode: 'zoom' as 'crop' })), { code: 'VALIDATION_FAILED', message: /mode/ });
});
