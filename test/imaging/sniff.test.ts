import t from 'tap';
import sharp from 'sharp';
import { sniffImageType } from '@digits-ts/imaging';
import { makePixels, toJpeg, toPng } from './images.ts';

const rgb = makePixels(4, 3, 3, (x, y) => [x * 60, y * 80, 100]);

t.test('recognises each container from its magic bytes', async (t) => {
  const img = () => sharp(rgb.data, { raw: { width: 4, height: 3, channels: 3 } });
  t.equal(sniffImageType(await toPng(rgb)), 'png');
  t.equal(sniffImageType(await toJpeg(rgb)), 'jpeg');
  t.equal(sniffImageType(await img().gif().toBuffer()), 'gif');
  t.equal(sniffImageType(await img().webp().toBuffer()), 'webp');
  t.equal(sniffImageType(await img().tiff().toBuffer()), 'tiff');
  t.equal(sniffImageType(Buffer.from('P6\n4 3\n255\n')), 'ppm');
  t.equal(sniffImageType(Buffer.from('P3 4 3 255 ')), 'ppm');
  t.equal(sniffImageType(Buffer.from('P5\n4 3\n255\n')), 'pgm');
  t.equal(sniffImageType(Buffer.from('P2\t4 3 255 ')), 'pgm');
  const bmp = Buffer.alloc(54);
  bmp.write('BM', 0, 'latin1');
  bmp.writeUInt32LE(40, 14);
  t.equal(sniffImageType(bmp), 'bmp');
});

t.test('refuses look-alikes, text and short input', async (t) => {
  t.equal(sniffImageType(Buffer.alloc(0)), null);
  t.equal(sniffImageType(Buffer.from('hello, this is not an image')), null);
  t.equal(sniffImageType(Buffer.from('BMW 3 series owners manual, chapter 1, page 1 of 300')), null, 'BM without a DIB header size');
  t.equal(sniffImageType(Buffer.from('P7\n4 3\n')), null, 'PAM is not a supported netpbm variant');
  t.equal(sniffImageType(Buffer.from('RIFF\0\0\0\0WAVEfmt ')), null, 'RIFF that is not WebP');
  t.equal(sniffImageType(Buffer.from([0x89, 0x50, 0x4e, 0x47])), null, 'half a PNG signature');
  const png = await toPng(rgb);
  const renamedText = Buffer.concat([Buffer.from('#'), png]);
  t.equal(sniffImageType(renamedText), null, 'one byte before the signature');
});
