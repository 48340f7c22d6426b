import t from 'tap';
import sharp from 'sharp';
import { decodeImage, encodeImage, type RawImage } from '@digits-ts/imaging';
import { noisePixels } from './images.ts';

const raw = (width: number, height: number, channels: 1 | 3, seed = 1): RawImage => {
  const p = noisePixels(width, height, channels, seed);
  return { data: p.data, width, height, channels };
};

t.test('PNG is lossless and keeps the channel count, small to large (deflated off-thread)', async (t) => {
  for (const [w, h] of [[1, 1], [28, 28], [300, 200], [701, 600]] as const) {
    for (const channels of [1, 3] as const) {
      const img = raw(w, h, channels);
      const png = await encodeImage(img, 'png');
      const meta = await sharp(png).metadata();
      t.match(meta, { format: 'png', width: w, height: h, channels }, `${w}x${h}x${channels}`);
      t.same(await decodeImage(png, { maxPixels: 1e6 }), img, `${w}x${h}x${channels} round-trips`);
    }
  }
});

t.test('JPEG: 1-channel stays 1-channel, colour stays close', async (t) => {
  const grey: RawImage = { data: Buffer.alloc(64 * 64, 90), width: 64, height: 64, channels: 1 };
  const jpg = await encodeImage(grey, 'jpg');
  t.match(await sharp(jpg).metadata(), { format: 'jpeg', channels: 1, space: 'b-w' });
  const back = await decodeImage(jpg, { maxPixels: 1e6 });
  t.equal(back.channels, 1);
  t.ok([...back.data].every((v) => Math.abs(v - 90) <= 1));
  const colour: RawImage = { data: Buffer.from(Array.from({ length: 32 * 32 }, () => [200, 60, 20]).flat()), width: 32, height: 32, channels: 3 };
  const cjpg = await encodeImage(colour, 'jpg');
  t.match(await sharp(cjpg).metadata(), { format: 'jpeg', channels: 3 });
  const c = await decodeImage(cjpg, { maxPixels: 1e6 });
  t.ok(Math.abs((c.data[0] as number) - 200) <= 3 && Math.abs((c.data[1] as number) - 60) <= 3 && Math.abs((c.data[2] as number) - 20) <= 3);
});

t.test('JPEG is written as PIL writes it: quality 90, standard Huffman tables', async (t) => {
  const img = raw(64, 64, 3, 5);
  const ours = await encodeImage(img, 'jpg');
  const at = (quality: number, optimiseCoding: boolean) => sharp(img.data, { raw: { width: 64, height: 64, channels: 3 } }).jpeg({ quality, optimiseCoding }).toBuffer();
  t.same(ours, await at(90, false), 'the bytes of sharp at quality 90 without the optimising pass');
  t.not(ours.length, (await at(80, false)).length);
  t.not(ours.length, (await at(90, true)).length);
});

t.test('PNG rows are filtered: a smooth image deflates to a fraction of the unfiltered file', async (t) => {
  // a smooth gradient: filtered rows are nearly all zeros and deflate to a fraction
  const data = Buffer.from(Array.from({ length: 200 * 200 * 3 }, (_, i) => Math.floor(i / 3) % 200 + Math.floor(i / 600)));
  const ours = await encodeImage({ data, width: 200, height: 200, channels: 3 }, 'png');
  const unfiltered = await sharp(data, { raw: { width: 200, height: 200, channels: 3 } }).png({ adaptiveFiltering: false }).toBuffer();
  t.ok(ours.length * 2 < unfiltered.length, `${ours.length} bytes against ${unfiltered.length} unfiltered`);
});

t.test('argument checks', async (t) => {
  await t.rejects(encodeImage(raw(2, 2, 1), 'gif' as 'png'), { code: 'VALIDATION_FAILED', message: /format/ });
  await t.rejects(encodeImage({ data: Buffer.alloc(3), width: 2, height: 2, channels: 1 }, 'png'), { code: 'VALIDATION_FAILED' });
});
