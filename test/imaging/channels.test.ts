import t from 'tap';
import { toChannels, type RawImage } from '@digits-ts/imaging';
import { luma } from './images.ts';

const rgb = (values: number[][]): RawImage => ({ data: Buffer.from(values.flat()), width: values.length, height: 1, channels: 3 });

t.test('RGB → L uses PIL integer luma', async (t) => {
  const img = rgb([[255, 0, 0], [0, 255, 0], [0, 0, 255], [255, 255, 255], [0, 0, 0], [10, 20, 30], [128, 128, 128]]);
  const out = toChannels(img, 1);
  t.equal(out.channels, 1);
  t.equal(out.width, 7);
  // what PIL's Image.convert('L') gives for these pixels
  t.same([...out.data], [76, 150, 29, 255, 0, 18, 128]);
});

t.test('RGB → L matches the fixed-point formula over many colours', async (t) => {
  const values: number[][] = [];
  for (let r = 0; r < 256; r += 17) for (let g = 3; g < 256; g += 21) for (let b = 5; b < 256; b += 25) values.push([r, g, b]);
  const out = toChannels(rgb(values), 1);
  const mismatches = values.filter(([r, g, b], i) => out.data[i] !== luma(r as number, g as number, b as number));
  t.same(mismatches, []);
});

t.test('L → RGB replicates the gray value', async (t) => {
  const grey: RawImage = { data: Buffer.from([0, 7, 128, 255, 42, 99]), width: 3, height: 2, channels: 1 };
  const out = toChannels(grey, 3);
  t.equal(out.channels, 3);
  t.same([...out.data], [0, 0, 0, 7, 7, 7, 128, 128, 128, 255, 255, 255, 42, 42, 42, 99, 99, 99]);
});

t.test('same channel count returns the image itself', async (t) => {
  const img = rgb([[1, 2, 3]]);
  t.equal(toChannels(img, 3), img);
});

t.test('argument checks', async (t) => {
  const img = rgb([[1, 2, 3]]);
  t.throws(() => toChannels(img, 2 as 1), { code: 'VALIDATION_FAILED', message: /Expected 1 or 3 for channels but received 2/ });
  t.throws(() => toChannels({ ...img, data: Buffer.alloc(2) }, 1), { code: 'VALIDATION_FAILED', message: /img\.data\.length/ });
  t.throws(() => toChannels({ ...img, width: -3 }, 1), { code: 'VALIDATION_FAILED', message: /Expected positive integer for img\.width but received -3 of type number/ });
});
