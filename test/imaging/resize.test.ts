// resizeImage / planResize: contract §6.5 geometry, which region survives, where the noise goes.
import t from 'tap';
import { planResize, resizeImage, type RawImage } from '@digits-ts/imaging';
import { seededRandom } from './images.ts';

function image(width: number, height: number, channels: 1 | 3, fn: (x: number, y: number) => number[]): RawImage {
  const data = Buffer.alloc(width * height * channels);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) data.set(fn(x, y), (y * width + x) * channels);
  return { data, width, height, channels };
}
const px = (img: RawImage, x: number, y: number) => [...img.data.subarray((y * img.width + x) * img.channels, (y * img.width + x + 1) * img.channels)];
const rows = (img: RawImage, from: number, to: number) => img.data.subarray(from * img.width * img.channels, to * img.width * img.channels);
/** The noise bytes a fresh seeded source yields, as DIGITS' randint(0, 255). */
const expectedNoise = (size: number, seed = 7) => {
  const r = seededRandom(seed);
  return Buffer.from(Array.from({ length: size }, () => Math.floor(r() * 255)));
};

t.test('planResize follows §6.5 exactly', async (t) => {
  const cases: Array<[string, Parameters<typeof planResize>, ReturnType<typeof planResize>]> = [
    ['no-op', [28, 28, 28, 28, 'crop'], null],
    ['squash', [60, 20, 30, 30, 'squash'], { resizeWidth: 30, resizeHeight: 30, crop: null, pad: null }],
    ['equal ratios is a plain resize', [60, 40, 30, 20, 'fill'], { resizeWidth: 30, resizeHeight: 20, crop: null, pad: null }],
    ['crop wide', [40, 28, 28, 28, 'crop'], { resizeWidth: 40, resizeHeight: 28, crop: { axis: 'x', start: 6 }, pad: null }],
    ['crop tall', [28, 40, 28, 28, 'crop'], { resizeWidth: 28, resizeHeight: 40, crop: { axis: 'y', start: 6 }, pad: null }],
    ['crop start 2.5 rounds away from zero', [30, 20, 10, 10, 'crop'], { resizeWidth: 15, resizeHeight: 10, crop: { axis: 'x', start: 3 }, pad: null }],
    ['fill wide', [60, 20, 30, 30, 'fill'], { resizeWidth: 30, resizeHeight: 10, crop: null, pad: { axis: 'y', each: 10 } }],
    ['fill wide, odd gap grows the image', [60, 21, 30, 30, 'fill'], { resizeWidth: 30, resizeHeight: 12, crop: null, pad: { axis: 'y', each: 9 } }],
    ['fill tall', [20, 60, 30, 30, 'fill'], { resizeWidth: 10, resizeHeight: 30, crop: null, pad: { axis: 'x', each: 10 } }],
    ['half_crop wide', [60, 20, 30, 30, 'half_crop'], { resizeWidth: 45, resizeHeight: 16, crop: { axis: 'x', start: 8 }, pad: { axis: 'y', each: 7 } }],
    ['half_crop tall', [20, 60, 30, 30, 'half_crop'], { resizeWidth: 16, resizeHeight: 45, crop: { axis: 'y', start: 8 }, pad: { axis: 'x', each: 7 } }],
    ['fill of a 1-pixel-high strip keeps a row', [1000, 1, 28, 28, 'fill'], { resizeWidth: 28, resizeHeight: 2, crop: null, pad: { axis: 'y', each: 13 } }],
  ];
  for (const [name, args, want] of cases) t.same(planResize(...args), want, name);
});

t.test('no-op returns the image itself', async (t) => {
  const img = image(5, 4, 3, (x, y) => [x, y, 9]);
  t.equal(await resizeImage(img, { width: 5, height: 4, mode: 'fill' }), img);
});

t.test('crop keeps the centre columns / rows (no scaling needed)', async (t) => {
  const wide = await resizeImage(image(40, 28, 1, (x) => [x * 5]), { width: 28, height: 28, mode: 'crop' });
  t.match(wide, { width: 28, height: 28, channels: 1 });
  t.same(px(wide, 0, 0), [30], 'first kept column is source column 6');
  t.same(px(wide, 27, 27), [165], 'last kept column is source column 33');
  const tall = await resizeImage(image(28, 40, 1, (_x, y) => [y * 5]), { width: 28, height: 28, mode: 'crop' });
  t.same([px(tall, 3, 0)[0], px(tall, 3, 27)[0]], [30, 165], 'rows 6..33 kept');
});

t.test('crop of a scaled image keeps the middle stripe', async (t) => {
  const stripes = (x: number) => (x < 60 ? [255, 0, 0] : x < 120 ? [0, 255, 0] : [0, 0, 255]);
  const out = await resizeImage(image(180, 60, 3, stripes), { width: 30, height: 30, mode: 'crop' });
  t.match(out, { width: 30, height: 30, channels: 3 });
  for (const x of [2, 15, 27]) t.same(px(out, x, 15), [0, 255, 0], `column ${x} is green`);
  const tallOut = await resizeImage(image(60, 180, 3, (_x, y) => stripes(y)), { width: 30, height: 30, mode: 'crop' });
  for (const y of [2, 15, 27]) t.same(px(tallOut, 15, y), [0, 255, 0], `row ${y} is green`);
});

t.test('fill pads top and bottom (wide source) with one noise block', async (t) => {
  const out = await resizeImage(image(60, 20, 1, () => [200]), { width: 30, height: 30, mode: 'fill', random: seededRandom() });
  t.match(out, { width: 30, height: 30, channels: 1 });
  const noise = expectedNoise(10 * 30);
  t.ok(rows(out, 0, 10).equals(noise), 'rows 0..9 are noise');
  t.ok(rows(out, 20, 30).equals(noise), 'rows 20..29 repeat the same noise, as DIGITS');
  t.ok([...rows(out, 10, 20)].every((v) => v === 200), 'rows 10..19 are the image');
});

t.test('fill pads left and right (tall source), noise with 3 channels', async (t) => {
  const out = await resizeImage(image(20, 60, 3, () => [10, 20, 30]), { width: 30, height: 30, mode: 'fill', random: seededRandom(3) });
  t.match(out, { width: 30, height: 30, channels: 3 });
  const noise = expectedNoise(30 * 10 * 3, 3);
  for (const y of [0, 29]) {
    const row = rows(out, y, y + 1);
    const block = noise.subarray(y * 30, (y + 1) * 30);
    t.ok(row.subarray(0, 30).equals(block), `row ${y}: left 10 pixels are noise`);
    t.ok(row.subarray(60, 90).equals(block), `row ${y}: right 10 pixels are the same noise`);
    t.same([...row.subarray(30, 60)], Array.from({ length: 10 }, () => [10, 20, 30]).flat(), `row ${y}: centre is the image`);
  }
});

t.test('half_crop crops the long side around the centre and pads the short side', async (t) => {
  const wide = await resizeImage(image(60, 20, 1, (x) => [x * 4]), { width: 30, height: 30, mode: 'half_crop', random: seededRandom() });
  t.match(wide, { width: 30, height: 30, channels: 1 });
  const noise = expectedNoise(7 * 30);
  t.ok(rows(wide, 0, 7).equals(noise) && rows(wide, 23, 30).equals(noise), '7 noise rows above and below');
  // kept columns are scaled columns 8..37 of 45: source x ≈ (j + 8.5) · 60/45 − 0.5
  const off = [];
  for (let j = 1; j < 29; j++) {
    const want = 4 * ((j + 8.5) * (60 / 45) - 0.5);
    if (Math.abs((px(wide, j, 15)[0] as number) - want) > 2) off.push(j);
  }
  t.same(off, [], 'the centre of the gradient survives');
  const tall = await resizeImage(image(20, 60, 1, (_x, y) => [y * 4]), { width: 30, height: 30, mode: 'half_crop', random: seededRandom() });
  t.same(px(tall, 0, 15), px(tall, 23, 15), 'left and right noise columns match');
  t.ok(Math.abs((px(tall, 15, 15)[0] as number) - 4 * ((15 + 8.5) * (60 / 45) - 0.5)) <= 2, 'centre row from the centre of the gradient');
});

t.test('noise covers 0..254 only', async (t) => {
  const src = image(60, 20, 1, () => [100]);
  const high = await resizeImage(src, { width: 30, height: 30, mode: 'fill', random: () => 0.9999999999 });
  t.same(px(high, 0, 0), [254]);
  const low = await resizeImage(src, { width: 30, height: 30, mode: 'fill', random: () => 0 });
  t.same(px(low, 0, 0), [0]);
});

t.test('squash and equal ratios scale to the exact size, no noise', async (t) => {
  const src = image(60, 20, 1, () => [123]);
  const squashed = await resizeImage(src, { width: 30, height: 30, mode: 'squash', random: () => 0 });
  t.match(squashed, { width: 30, height: 30, channels: 1 });
  t.ok([...squashed.data].every((v) => v === 123));
  const halved = await resizeImage(image(60, 40, 3, () => [1, 2, 3]), { width: 30, height: 20, mode: 'fill', random: () => 0 });
  t.match(halved, { width: 30, height: 20, channels: 3 });
  t.same(px(halved, 0, 0), [1, 2, 3]);
});

t.test('argument checks', async (t) => {
  const img = image(4, 4, 1, () => [0]);
  await t.rejects(resizeImage(img, { width: 0, height: 4, mode: 'crop' }), { code: 'VALIDATION_FAILED', message: /positive integer for width but received 0/ });
  await t.rejects(resizeImage(img, { width: 4, height: 4, mode: 'stretch' as 'crop' }), { code: 'VALIDATION_FAILED', message: /mode/ });
});
