import t from 'tap';
import { createRandom, decodeBlobProto, MeanAccumulator, roundHalfEven } from '@digits-ts/dataset';

/** Independent reference: integer sum and remainder, ties to the even quotient (numpy.around). */
function referenceMean(images: Uint8Array[], size: number): number[] {
  const out: number[] = [];
  for (let p = 0; p < size; p++) {
    let sum = 0;
    for (const img of images) sum += img[p] as number;
    const n = images.length;
    const q = Math.floor(sum / n);
    const twiceRest = 2 * (sum - q * n);
    out.push(twiceRest > n || (twiceRest === n && q % 2 === 1) ? q + 1 : q);
  }
  return out;
}

t.test('roundHalfEven follows numpy.around', async (t) => {
  const cases: Array<[number, number]> = [[0.5, 0], [1.5, 2], [2.5, 2], [3.5, 4], [254.5, 254], [0.49, 0], [0.51, 1], [7, 7], [2.4999, 2]];
  for (const [x, want] of cases) t.equal(roundHalfEven(x), want, `round(${x})`);
});

t.test('mean equals an independently computed mean (random 5×4 RGB images)', async (t) => {
  const random = createRandom(7);
  const [w, h, c] = [5, 4, 3];
  const images = Array.from({ length: 37 }, () => Uint8Array.from({ length: w * h * c }, () => Math.floor(random() * 256)));
  const acc = new MeanAccumulator(w, h, c);
  for (const img of images) acc.add(img);
  t.equal(acc.count, 37);
  t.same([...acc.mean()], referenceMean(images, w * h * c));
});

t.test('sums stay exact past the packed lanes\' 257 images, for any length and byte offset', async (t) => {
  const random = createRandom(11);
  // 7×3×1 = 21 bytes: five 4-byte words and a tail byte; 600 images fold the lanes twice, and
  // three images in four are all 255, so the lanes come near full (a fold after 300 would overflow)
  const [w, h, c] = [7, 3, 1];
  const size = w * h * c;
  const images = Array.from({ length: 600 }, (_, n) => Uint8Array.from({ length: size }, () => (n % 4 !== 0 ? 255 : Math.floor(random() * 256))));
  const reference = (count: number) => Array.from({ length: size }, (_, p) => images.slice(0, count).reduce((s, img) => s + img[p]!, 0));
  const aligned = new MeanAccumulator(w, h, c);
  // the same pixels at byte offset 1 of a larger buffer: the bytewise path
  const shifted = new MeanAccumulator(w, h, c);
  const backing = new Uint8Array(size + 1);
  images.forEach((img, n) => {
    aligned.add(img);
    backing.set(img, 1);
    shifted.add(backing.subarray(1));
    if (n === 299) t.same([...aligned.sum()], reference(300), 'sum() in the middle folds what is pending');
  });
  t.equal(aligned.count, 600);
  t.same([...aligned.sum()], reference(600), 'word-aligned images');
  t.same([...shifted.sum()], reference(600), 'unaligned images');
  t.same([...aligned.mean()], referenceMean(images, size));
});

t.test('ties round half to even', async (t) => {
  const acc = new MeanAccumulator(4, 1, 1);
  acc.add(new Uint8Array([0, 1, 2, 255]));
  acc.add(new Uint8Array([1, 2, 3, 254]));
  // 0.5 → 0, 1.5 → 2, 2.5 → 2, 254.5 → 254
  t.same([...acc.mean()], [0, 2, 2, 254]);
});

t.test('addSum merges partial sums like adding the images', async (t) => {
  const a = new MeanAccumulator(2, 1, 1);
  a.add(new Uint8Array([10, 200]));
  a.add(new Uint8Array([11, 201]));
  a.add(new Uint8Array([13, 0]));
  const b = new MeanAccumulator(2, 1, 1);
  b.add(new Uint8Array([10, 200]));
  b.addSum(new Float64Array([24, 201]), 2);
  t.equal(b.count, 3);
  t.same([...b.mean()], [...a.mean()]);
  t.same([...a.mean()], [11, 134]);
});

t.test('toBlobProto: num=1, C×H×W floats, planes B,G,R', async (t) => {
  const acc = new MeanAccumulator(2, 1, 3);
  acc.add(new Uint8Array([10, 20, 30, 40, 50, 60])); // pixel 0 = (R10,G20,B30), pixel 1 = (R40,G50,B60)
  const blob = decodeBlobProto(acc.toBlobProto());
  t.same({ num: blob.num, channels: blob.channels, height: blob.height, width: blob.width }, { num: 1, channels: 3, height: 1, width: 2 });
  t.same([...blob.data], [30, 60, 20, 50, 10, 40]);

  const gray = new MeanAccumulator(3, 1, 1);
  gray.add(new Uint8Array([1, 2, 3]));
  t.same([...decodeBlobProto(gray.toBlobProto()).data], [1, 2, 3]);
});

t.test('argument and state checks', async (t) => {
  t.throws(() => new MeanAccumulator(0, 1, 1), { code: 'VALIDATION_FAILED' });
  const acc = new MeanAccumulator(2, 2, 1);
  t.throws(() => acc.add(new Uint8Array(3)), { code: 'VALIDATION_FAILED' });
  t.throws(() => acc.mean(), { code: 'DATASET_BUILD_FAILED' });
});
