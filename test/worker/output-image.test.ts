// The Image output view's drawing (apps/worker/src/inference/output-image.ts, contract §10.6):
// which output shapes read as images, DIGITS' pixel conversions and channel orders, and PNGs
// that sharp decodes back to the expected pixels.
import t from 'tap';
import sharp from 'sharp';
import type { ClassifiedImage } from '@digits-ts/contracts';
import { addOutputImages, outputLayout, outputPixels } from '../../apps/worker/src/inference/output-image.ts';

const DIMS = { height: 4, width: 5, channels: 1 };

t.test('output shapes that read as images', async (t) => {
  t.same(outputLayout('o', [4, 5, 3], DIMS), { height: 4, width: 5, channels: 3, planar: false }, 'H×W×C: our channels-last networks');
  t.same(outputLayout('o', [4, 5, 1], DIMS), { height: 4, width: 5, channels: 1, planar: false });
  t.same(outputLayout('o', [3, 4, 5], DIMS), { height: 4, width: 5, channels: 3, planar: true }, 'C×H×W when only the first axis can be channels');
  t.same(outputLayout('o', [4, 5], DIMS), { height: 4, width: 5, channels: 1, planar: false }, 'H×W is grey');
  t.same(outputLayout('o', [20], DIMS), { height: 4, width: 5, channels: 1, planar: false }, 'flat at the dataset size');
  t.same(outputLayout('o', [60], DIMS), { height: 4, width: 5, channels: 3, planar: false }, 'flat RGB at the dataset size');
  t.same(outputLayout('o', [1, 1, 4, 5, 3], DIMS), { height: 4, width: 5, channels: 3, planar: false }, 'leading 1s dropped');
  t.throws(() => outputLayout('fc', [2], DIMS), { code: 'MODEL_SHAPE_MISMATCH', statusCode: 422, message: /"fc".*\[2\].*not 4×5 pixels/ });
  t.throws(() => outputLayout('conv', [4, 5, 2], DIMS), { code: 'MODEL_SHAPE_MISMATCH', message: /Unhandled number of channels: 2/ });
});

t.test('pixel conversion and channel order', async (t) => {
  const grey = { height: 1, width: 4, channels: 1 as const, planar: false };
  t.same([...outputPixels([-1, 0, 1, 3], grey, { channelOrder: 'rgb', pixelConversion: 'normalize' })], [0, 63, 127, 255], 'normalize: minimum to 0, maximum to 255, truncated');
  t.same([...outputPixels([5, 5, 5, 5], grey, { channelOrder: 'rgb', pixelConversion: 'normalize' })], [0, 0, 0, 0], 'a flat output is black');
  t.same([...outputPixels([-20, 12.9, 300, Number.NaN], grey, { channelOrder: 'rgb', pixelConversion: 'clip' })], [0, 12, 255, 0], 'clip: clamped to 0..255');
  const rgb = { height: 1, width: 2, channels: 3 as const, planar: false };
  const values = [10, 20, 30, 40, 50, 60];
  t.same([...outputPixels(values, rgb, { channelOrder: 'rgb', pixelConversion: 'clip' })], values);
  t.same([...outputPixels(values, rgb, { channelOrder: 'bgr', pixelConversion: 'clip' })], [30, 20, 10, 60, 50, 40], 'bgr: the planes reversed');
  const planes = [10, 40, 20, 50, 30, 60]; // C×H×W of the same two pixels
  t.same([...outputPixels(planes, { ...rgb, planar: true }, { channelOrder: 'rgb', pixelConversion: 'clip' })], values, 'C×H×W interleaved');
  t.same([...outputPixels([7, 9], { height: 1, width: 2, channels: 1, planar: false }, { channelOrder: 'bgr', pixelConversion: 'clip' })], [7, 9], 'channel order is ignored for grey');
});

t.test('each used input gets a PNG of its first output', async (t) => {
  const shape = [2, 3, 3];
  const sample = (base: number) => [{ name: 'image', shape, values: Float32Array.from({ length: 18 }, (_, i) => base + i * 10) }, { name: 'fc', shape: [2], values: Float32Array.of(1, 2) }];
  const results: ClassifiedImage[] = [{ source: 'a', label: null }, { source: 'bad', label: null, error: { code: 'IMAGE_NOT_FOUND', message: 'x' } }, { source: 'c', label: null }];
  const inputs = { samples: { height: 2, width: 3, channels: 1, count: 2, pixels: new Uint8Array(12), labels: new Int32Array(2) }, used: [0, 2], results };
  await addOutputImages([sample(0), sample(5)], inputs, { height: 2, width: 3, channels: 1 }, { channelOrder: 'rgb', pixelConversion: 'clip' });
  t.notOk(results[1]!.outputImage, 'an unused input gets none');
  for (const [i, base] of [[0, 0], [2, 5]] as const) {
    const drawn = results[i]!.outputImage!;
    t.match(drawn, { mime: 'image/png', width: 3, height: 2, channels: 3 });
    const { data, info } = await sharp(Buffer.from(drawn.data, 'base64')).raw().toBuffer({ resolveWithObject: true });
    t.same([info.width, info.height, info.channels], [3, 2, 3]);
    t.same([...data], Array.from({ length: 18 }, (_, k) => base + k * 10), `input ${i}: the output's values as pixels`);
  }
  const fc = [[{ name: 'fc', shape: [2], values: Float32Array.of(1, 2) }]];
  await t.rejects(addOutputImages(fc, { ...inputs, used: [0] }, { height: 2, width: 3, channels: 1 }, { channelOrder: 'rgb', pixelConversion: 'normalize' }), { code: 'MODEL_SHAPE_MISMATCH' }, 'a first output that is no image fails the request');
});
