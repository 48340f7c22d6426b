// decodeImage for the formats the bundled libvips cannot read: BMP and PGM / PPM.
import t from 'tap';
import { decodeImage } from '@digits-ts/imaging';

const MAX = 1_000_000;

/** An uncompressed BMP (BITMAPINFOHEADER); rows given top-down as bytes already in BMP order (BGR / indices). */
function bmp(width: number, height: number, bpp: number, rows: number[][], palette: number[][] = [], topDown = false): Buffer {
  const stride = Math.floor((bpp * width + 31) / 32) * 4;
  const dataAt = 14 + 40 + palette.length * 4;
  const out = Buffer.alloc(dataAt + stride * height);
  out.write('BM', 0, 'latin1');
  out.writeUInt32LE(out.length, 2);
  out.writeUInt32LE(dataAt, 10);
  out.writeUInt32LE(40, 14);
  out.writeInt32LE(width, 18);
  out.writeInt32LE(topDown ? -height : height, 22);
  out.writeUInt16LE(1, 26);
  out.writeUInt16LE(bpp, 28);
  out.writeUInt32LE(palette.length, 46);
  palette.forEach(([r, g, b], i) => out.set([b as number, g as number, r as number, 0], 54 + i * 4));
  rows.forEach((row, y) => out.set(row, dataAt + (topDown ? y : height - 1 - y) * stride));
  return out;
}

t.test('24-bit BMP, bottom-up and top-down, BGR → RGB', async (t) => {
  const rows = [[0, 0, 255, 0, 255, 0], [255, 0, 0, 10, 20, 30]]; // BGR: red green / blue (30,20,10)
  for (const topDown of [false, true]) {
    const out = await decodeImage(bmp(2, 2, 24, rows, [], topDown), { maxPixels: MAX });
    t.match(out, { width: 2, height: 2, channels: 3 });
    t.same([...out.data], [255, 0, 0, 0, 255, 0, 0, 0, 255, 30, 20, 10], topDown ? 'top-down' : 'bottom-up');
  }
});

t.test('8-bit palette BMP → RGB; gray palette → 1 channel', async (t) => {
  const colour = await decodeImage(bmp(3, 1, 8, [[2, 0, 1]], [[255, 0, 0], [0, 255, 0], [1, 2, 3]]), { maxPixels: MAX });
  t.match(colour, { channels: 3 });
  t.same([...colour.data], [1, 2, 3, 255, 0, 0, 0, 255, 0]);
  const ramp = Array.from({ length: 256 }, (_, i) => [i, i, i]);
  const grey = await decodeImage(bmp(4, 1, 8, [[0, 77, 200, 255]], ramp), { maxPixels: MAX });
  t.match(grey, { channels: 1 });
  t.same([...grey.data], [0, 77, 200, 255]);
});

t.test('1-bit BMP unpacks bits MSB first', async (t) => {
  const out = await decodeImage(bmp(10, 1, 1, [[0b10110000, 0b01000000]], [[0, 0, 0], [255, 255, 255]]), { maxPixels: MAX });
  t.same([...out.data], [255, 0, 255, 255, 0, 0, 0, 0, 0, 255]);
});

t.test('bad BMPs', async (t) => {
  const good = bmp(4, 4, 24, [[], [], [], []]);
  await t.rejects(decodeImage(good.subarray(0, good.length - 5), { maxPixels: MAX }), { code: 'IMAGE_DECODE_FAILED', message: /truncated/ });
  await t.rejects(decodeImage(good.subarray(0, 30), { maxPixels: MAX }), { code: 'IMAGE_DECODE_FAILED' });
  const rle = Buffer.from(good);
  rle.writeUInt32LE(1, 30);
  await t.rejects(decodeImage(rle, { maxPixels: MAX }), { code: 'IMAGE_DECODE_FAILED', message: /compression 1/ });
  await t.rejects(decodeImage(good, { maxPixels: 15 }), { code: 'IMAGE_TOO_LARGE' });
});

t.test('binary and plain PGM / PPM', async (t) => {
  const p5 = Buffer.concat([Buffer.from('P5\n# a comment\n3 2\n255\n'), Buffer.from([0, 10, 20, 30, 40, 255])]);
  t.same(await decodeImage(p5, { maxPixels: MAX }), { data: Buffer.from([0, 10, 20, 30, 40, 255]), width: 3, height: 2, channels: 1 });
  const p6 = Buffer.concat([Buffer.from('P6 2 1 255 '), Buffer.from([1, 2, 3, 4, 5, 6])]);
  t.same(await decodeImage(p6, { maxPixels: MAX }), { data: Buffer.from([1, 2, 3, 4, 5, 6]), width: 2, height: 1, channels: 3 });
  const p2 = Buffer.from('P2\n2 2\n15\n0 15\n5 10\n');
  t.same([...(await decodeImage(p2, { maxPixels: MAX })).data], [0, 255, 85, 170], 'maxval 15 scaled to 0..255');
  const p3 = Buffer.from('P3 1 1 255 7 8 9');
  t.same([...(await decodeImage(p3, { maxPixels: MAX })).data], [7, 8, 9]);
});

t.test('bad PGM / PPM', async (t) => {
  await t.rejects(decodeImage(Buffer.concat([Buffer.from('P5 3 2 255 '), Buffer.from([1, 2, 3])]), { maxPixels: MAX }), { code: 'IMAGE_DECODE_FAILED', message: /truncated/ });
  await t.rejects(decodeImage(Buffer.from('P2 2 1 255 3'), { maxPixels: MAX }), { code: 'IMAGE_DECODE_FAILED' }, 'too few plain samples');
  await t.rejects(decodeImage(Buffer.from('P2 1 1 9 10'), { maxPixels: MAX }), { code: 'IMAGE_DECODE_FAILED', message: /exceeds maxval/ });
  await t.rejects(decodeImage(Buffer.from('P5 1 1 65535 \0\0'), { maxPixels: MAX }), { code: 'IMAGE_MODE_UNSUPPORTED', message: 'Image mode "I" not supported' });
});
