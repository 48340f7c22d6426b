// A generic dataset stage on disk (§7.2): %09d keys, PNG or raw feature Datums, float label
// Datums in their own DB, the stage mean; an empty stage writes nothing.
import fs from 'node:fs/promises';
import path from 'node:path';
import t from 'tap';
import { createRandom, datumDataToPixels, decodeBlobProto, decodeDatum, openDbReader } from '@digits-ts/dataset';
import { decodeImage } from '@digits-ts/imaging';
import { gradientEntries } from '../../apps/worker/src/extensions/image-gradients.ts';
import { writeGenericStage } from '../../apps/worker/src/generic-build/write-stage.ts';

const shape = { height: 24, width: 32, channels: 1 } as const;

for (const encoding of ['png', 'none'] as const) {
  t.test(`gradients, features encoded ${encoding}`, async (t) => {
    const dir = t.testdir();
    const entries = [...gradientEntries(40, 32, 24, createRandom(9))];
    const result = await writeGenericStage(dir, 'train_db', entries.map((e) => ({ feature: { ...shape, data: e.feature }, label: e.label })), { featureEncoding: encoding, labelEncoding: 'none', forceSameShape: true });
    t.same(result, { entryCount: 40, featureDbPath: 'train_db/features', labelDbPath: 'train_db/labels', featureShape: shape });
    const features = openDbReader(path.join(dir, 'train_db/features'));
    const labels = openDbReader(path.join(dir, 'train_db/labels'));
    try {
      const f = [...features.entries()];
      const l = [...labels.entries()];
      t.same(f.map((e) => e.key).slice(0, 3), ['000000000', '000000001', '000000002']);
      t.equal(l.length, 40);
      for (const [i, entry] of entries.entries()) {
        const datum = decodeDatum(f[i]!.value);
        t.equal(datum.encoded, encoding === 'png');
        const pixels = datum.encoded ? (await decodeImage(Buffer.from(datum.data), { maxPixels: 1e6 })).data : datumDataToPixels(datum.data, 32, 24, 1);
        t.same(new Uint8Array(pixels), entry.feature, `entry ${i} pixels`);
        t.equal(datum.label, 0);
        const label = decodeDatum(l[i]!.value);
        t.match(label, { channels: 1, height: 1, width: 2, label: 0 });
        t.same(label.floatData.map((v) => Math.fround(v)), Array.from(entry.label), `entry ${i} label`);
      }
    } finally {
      features.close();
      labels.close();
    }
    const mean = decodeBlobProto(await fs.readFile(path.join(dir, 'train_db/mean.binaryproto')));
    t.match(mean, { channels: 1, height: 24, width: 32 });
  });
}

t.test('an empty stage creates nothing', async (t) => {
  const dir = t.testdir();
  t.same(await writeGenericStage(dir, 'test_db', [], { featureEncoding: 'png', labelEncoding: 'none', forceSameShape: true }), { entryCount: 0, featureDbPath: null, labelDbPath: null, featureShape: null });
  t.same(await fs.readdir(dir), []);
});

t.test('an entry of the wrong shape fails the stage', async (t) => {
  await t.rejects(writeGenericStage(t.testdir(), 'val_db', [{ feature: { ...shape, data: new Uint8Array(5) }, label: Float32Array.of(1) }], { featureEncoding: 'none', labelEncoding: 'none', forceSameShape: true }), { code: 'DATASET_BUILD_FAILED' });
});

/** A w×h RGB image whose pixel (x, y) is [x, y, seed]. */
function rgb(width: number, height: number, seed: number) {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) data.set([x, y, seed], (y * width + x) * 3);
  return { height, width, channels: 3 as const, data };
}

t.test('image labels (§7.5): raw C×H×W B,G,R Datums by default, PNG when asked; the mean is the features\'', async (t) => {
  for (const labelEncoding of ['none', 'png'] as const) {
    const dir = t.testdir();
    const entries = [0, 1, 2].map((i) => ({ feature: { height: 4, width: 6, channels: 1 as const, data: new Uint8Array(24).fill(10 * i) }, label: rgb(5, 3, i) }));
    const result = await writeGenericStage(dir, 'train_db', entries, { featureEncoding: 'png', labelEncoding, forceSameShape: true });
    t.same(result, { entryCount: 3, featureDbPath: 'train_db/features', labelDbPath: 'train_db/labels', featureShape: { height: 4, width: 6, channels: 1 } });
    const labels = openDbReader(path.join(dir, 'train_db/labels'));
    try {
      const stored = [...labels.entries()];
      t.same(stored.map((e) => e.key), ['000000000', '000000001', '000000002'], 'the features\' keys');
      for (const [i, entry] of stored.entries()) {
        const datum = decodeDatum(entry.value);
        t.match(datum, { channels: 3, height: 3, width: 5, label: 0, encoded: labelEncoding === 'png' });
        const pixels = datum.encoded ? (await decodeImage(Buffer.from(datum.data), { maxPixels: 1e6 })).data : datumDataToPixels(datum.data, 5, 3, 3);
        t.same(new Uint8Array(pixels), entries[i]!.label.data, `label ${i}`);
        if (!datum.encoded) t.equal(datum.data[0], i, 'the first plane is blue');
      }
    } finally {
      labels.close();
    }
    const mean = decodeBlobProto(await fs.readFile(path.join(dir, 'train_db/mean.binaryproto')));
    t.match(mean, { channels: 1, height: 4, width: 6 });
    t.equal(Math.round(mean.data[0]!), 10, 'the mean of the features (0, 10, 20)');
  }
});

t.test('force_same_shape: the first mismatch fails the stage; off, mixed sizes pass without a mean', async (t) => {
  const grey = (w: number, h: number) => ({ height: h, width: w, channels: 1 as const, data: new Uint8Array(w * h) });
  const opts = { featureEncoding: 'png', labelEncoding: 'none', forceSameShape: true } as const;
  await t.rejects(writeGenericStage(t.testdir(), 'train_db', [{ feature: rgb(32, 32, 0), label: grey(2, 2) }, { feature: rgb(64, 64, 0), label: grey(2, 2) }], opts), { code: 'DATASET_BUILD_FAILED', message: 'Feature shape mismatch (last:(3, 64, 64), previous:(3, 32, 32))' });
  await t.rejects(writeGenericStage(t.testdir(), 'train_db', [{ feature: grey(4, 4), label: grey(2, 2) }, { feature: grey(4, 4), label: grey(3, 2) }], opts), { message: 'Label shape mismatch (last:(1, 2, 3), previous:(1, 2, 2))' });
  const dir = t.testdir();
  const mixed = await writeGenericStage(dir, 'train_db', [{ feature: grey(4, 4), label: grey(2, 2) }, { feature: rgb(8, 5, 1), label: grey(3, 2) }], { ...opts, forceSameShape: false });
  t.equal(mixed.entryCount, 2);
  t.same((await fs.readdir(path.join(dir, 'train_db'))).sort(), ['features', 'labels'], 'no mean.binaryproto');
});
