// decodeImage / prepareImage on hostile input: the right error code, with the cause kept.
import t from 'tap';
import { deflateSync } from 'node:zlib';
import sharp from 'sharp';
import { decodeImage, prepareImage } from '@digits-ts/imaging';
import { findChunk, flipByte, greyTiff, makePixels, noisePixels, pngChunk, toJpeg, toPng } from './images.ts';

const MAX = 10_000_000;
const decode = (bytes: Buffer, maxPixels = MAX) => decodeImage(bytes, { maxPixels });

t.test('non-image bytes', async (t) => {
  await t.rejects(decode(Buffer.from('just some text, renamed to cat.png')), { code: 'IMAGE_DECODE_FAILED', statusCode: 422 });
  await t.rejects(decode(Buffer.alloc(0)), { code: 'IMAGE_DECODE_FAILED' });
  await t.rejects(decode(Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>')), { code: 'IMAGE_DECODE_FAILED' }, 'SVG is not a dataset image');
});

t.test('truncated PNGs are refused, small (JS decoder) and large (sharp)', async (t) => {
  for (const p of [noisePixels(28, 28, 1), noisePixels(300, 300, 3)]) {
    const png = await toPng(p);
    for (const cut of [png.length - 1, png.length - 12, Math.floor(png.length / 2), 40]) {
      await t.rejects(decode(png.subarray(0, cut)), { code: 'IMAGE_DECODE_FAILED' }, `${p.width}px cut at ${cut}/${png.length}`);
    }
  }
});

t.test('corrupt PNG data is refused with the original error as cause', async (t) => {
  const good = await toPng(noisePixels(28, 28, 1));
  const png = flipByte(good, findChunk(good, 'IDAT') + 8 + 20);
  const err = await decode(png).catch((e: unknown) => e);
  t.match(err, { code: 'IMAGE_DECODE_FAILED', message: /CRC/ });
});

t.test('a corrupt zlib stream behind a valid CRC is refused', async (t) => {
  const good = await toPng(noisePixels(20, 20, 1));
  const ihdr = good.subarray(0, 33);
  const raw = Buffer.alloc(20 * 21); // filter byte 0 + 20 samples per row
  const stream = flipByte(deflateSync(raw), -1, 0x55); // adler32 mismatch
  const iend = pngChunk('IEND', Buffer.alloc(0));
  const badAdler = Buffer.concat([ihdr, pngChunk('IDAT', stream), iend]);
  const err = await decode(badAdler).catch((e: unknown) => e);
  t.match(err, { code: 'IMAGE_DECODE_FAILED' });
  t.ok((err as Error).cause, 'keeps the zlib error as cause');
  const short = Buffer.concat([ihdr, pngChunk('IDAT', deflateSync(raw.subarray(0, raw.length - 7))), iend]);
  await t.rejects(decode(short), { code: 'IMAGE_DECODE_FAILED', message: /truncated/ }, 'complete stream, too little data');
  await t.rejects(prepareImage(short, { width: 20, height: 20, channels: 1, resizeMode: 'squash', encoding: 'png', maxPixels: MAX }), { code: 'IMAGE_DECODE_FAILED' }, 'also on the reuse path');
});

t.test('truncated and corrupt JPEGs are refused', async (t) => {
  const jpg = await toJpeg(noisePixels(64, 64, 3));
  await t.rejects(decode(jpg.subarray(0, Math.floor(jpg.length * 0.6))), { code: 'IMAGE_DECODE_FAILED' });
  const err = await decode(jpg.subarray(0, 30)).catch((e: unknown) => e);
  t.match(err, { code: 'IMAGE_DECODE_FAILED' });
  t.type((err as Error).cause, Error, 'sharp error kept as cause');
});

t.test('16-bit gray PNG and TIFF are PIL mode I;16', async (t) => {
  const grey16 = () => sharp(makePixels(4, 4, 1, () => [128]).data, { raw: { width: 4, height: 4, channels: 1 } }).toColourspace('grey16');
  await t.rejects(decode(await grey16().png().toBuffer()), { code: 'IMAGE_MODE_UNSUPPORTED', message: 'Image mode "I;16" not supported' });
  await t.rejects(decode(greyTiff(2, 2, 'uint16', [0, 1000, 30000, 65535])), { code: 'IMAGE_MODE_UNSUPPORTED', message: 'Image mode "I;16" not supported' });
});

t.test('float TIFF is PIL mode F', async (t) => {
  await t.rejects(decode(greyTiff(2, 2, 'float32', [0.1, 0.5, 0.9, 1])), { code: 'IMAGE_MODE_UNSUPPORTED', message: 'Image mode "F" not supported' });
});

t.test('pixel cap is enforced from the header for every decoder', async (t) => {
  const png = await toPng(noisePixels(40, 30, 3));
  await t.rejects(decode(png, 1199), { code: 'IMAGE_TOO_LARGE', details: { width: 40, height: 30, maxPixels: 1199 } });
  t.match(await decode(png, 1200), { width: 40 }, 'exactly at the cap is fine');
  await t.rejects(decode(await toJpeg(noisePixels(40, 30, 3)), 1199), { code: 'IMAGE_TOO_LARGE' });
  const webp = await sharp(noisePixels(40, 30, 3).data, { raw: { width: 40, height: 30, channels: 3 } }).webp().toBuffer();
  await t.rejects(decode(webp, 1000), { code: 'IMAGE_TOO_LARGE' });
  await t.rejects(decode(Buffer.from('P5\n40 30\n255\n'), 1000), { code: 'IMAGE_TOO_LARGE' });
  // a 100000 x 100000 header with almost no data must fail on size, not allocate
  const huge = Buffer.from(png);
  huge.writeUInt32BE(100_000, 16);
  huge.writeUInt32BE(100_000, 20);
  const fixed = Buffer.concat([huge.subarray(0, 8), pngChunk('IHDR', huge.subarray(16, 29)), huge.subarray(33)]);
  await t.rejects(decode(fixed), { code: 'IMAGE_TOO_LARGE' });
  await t.rejects(prepareImage(fixed, { width: 28, height: 28, channels: 1, resizeMode: 'squash', encoding: 'none', maxPixels: MAX }), { code: 'IMAGE_TOO_LARGE' });
});

t.test('argument checks', async (t) => {
  const png = await toPng(makePixels(2, 2, 1, () => [1]));
  await t.rejects(decode(png, 0), { code: 'VALIDATION_FAILED', message: /Expected positive integer for maxPixels but received 0/ });
  await t.rejects(decodeImage('not a buffer' as unknown as Buffer, { maxPixels: 10 }), { code: 'VALIDATION_FAILED' });
});
