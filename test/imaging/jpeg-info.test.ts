// readJpegInfo: the frame header and EXIF orientation agree with what sharp (libvips) reads, and
// anything unusual is left to sharp (null).
import t from 'tap';
import sharp from 'sharp';
import { readJpegInfo } from '@digits-ts/imaging';
import { noisePixels, toJpeg } from './images.ts';

const rgb = noisePixels(48, 32, 3, 4);
const encode = (o: { progressive?: boolean; orientation?: number; space?: 'b-w' | 'cmyk' } = {}) => {
  const img = sharp(rgb.data, { raw: { width: 48, height: 32, channels: 3 } });
  if (o.space) img.toColourspace(o.space);
  if (o.orientation) img.withMetadata({ orientation: o.orientation });
  return img.jpeg({ progressive: o.progressive ?? false }).toBuffer();
};

/** `jpeg` with an APP1 EXIF block in Motorola byte order whose IFD0 holds orientation 3. */
function withBigEndianExif(jpeg: Buffer): Buffer {
  // 'MM', 42, IFD0 at 8: one entry, tag 0x0112 SHORT × 1 = 3, then no next IFD
  const tiff = Buffer.from([0x4d, 0x4d, 0, 42, 0, 0, 0, 8, 0, 1, 0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, 3, 0, 0, 0, 0, 0, 0]);
  const body = Buffer.concat([Buffer.from('Exif\0\0', 'latin1'), tiff]);
  const head = Buffer.from([0xff, 0xe1, 0, 0]);
  head.writeUInt16BE(body.length + 2, 2);
  return Buffer.concat([jpeg.subarray(0, 2), head, body, jpeg.subarray(2)]);
}

t.test('size, components and orientation as sharp reads them', async (t) => {
  const cases: Array<[string, Promise<Buffer>, number, number]> = [
    ['baseline colour', encode(), 3, 1],
    ['progressive', encode({ progressive: true }), 3, 1],
    ['gray', encode({ space: 'b-w' }), 1, 1],
    ['CMYK', encode({ space: 'cmyk' }), 4, 1],
    ['EXIF, upright', encode({ orientation: 1 }), 3, 1],
    ['EXIF, rotated 90°', encode({ orientation: 6 }), 3, 6],
    ['EXIF, rotated 270°', encode({ orientation: 8 }), 3, 8],
    ['EXIF, mirrored', encode({ orientation: 2 }), 3, 2],
    ['big-endian EXIF, rotated 180°', encode().then(withBigEndianExif), 3, 3],
  ];
  for (const [name, bytes, components, orientation] of cases) {
    const jpeg = await bytes;
    const meta = await sharp(jpeg).metadata();
    t.equal(meta.orientation ?? 1, orientation, `${name}: sharp reads orientation ${orientation}`);
    t.same(readJpegInfo(jpeg), { width: meta.width, height: meta.height, precision: 8, components, orientation }, name);
  }
});

t.test('EXIF without an orientation tag is upright', async (t) => {
  const jpeg = await sharp(rgb.data, { raw: { width: 48, height: 32, channels: 3 } }).withExif({ IFD0: { Copyright: 'test' } }).jpeg().toBuffer();
  t.equal(readJpegInfo(jpeg)?.orientation, 1);
});

t.test('truncated, broken or non-JPEG input gives null', async (t) => {
  const jpeg = await toJpeg(rgb);
  const sof = jpeg.indexOf(Buffer.from([0xff, 0xc0]));
  t.ok(sof > 0, 'fixture has a baseline SOF');
  t.equal(readJpegInfo(jpeg.subarray(0, sof + 5)), null, 'cut inside the frame header');
  t.equal(readJpegInfo(jpeg.subarray(0, 3)), null, 'three bytes');
  t.equal(readJpegInfo(Buffer.from('not a jpeg at all')), null);
  const lossless = Buffer.from(jpeg);
  lossless[sof + 1] = 0xc3;
  t.equal(readJpegInfo(lossless), null, 'a lossless frame is left to sharp');
  const garbage = Buffer.from(jpeg);
  garbage[2 + 2 + garbage.readUInt16BE(4)] = 0x00;
  t.equal(readJpegInfo(garbage), null, 'bytes between markers');
});
