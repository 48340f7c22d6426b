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
    const result = await writeGenericStage(dir, 'train_db', entries, shape, { encoding, forceSameShape: true });
    t.same(result, { entryCount: 40, featureDbPath: 'train_db/features', labelDbPath: 'train_db/labels' });
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
  t.same(await writeGenericStage(dir, 'test_db', [], shape, { encoding: 'png', forceSameShape: true }), { entryCount: 0, featureDbPath: null, labelDbPath: null });
  t.same(await fs.readdir(dir), []);
});

t.test('an entry of the wrong shape fails the stage', async (t) => {
  await t.rejects(writeGenericStage(t.testdir(), 'val_db', [{ feature: new Uint8Array(5), label: Float32Array.of(1) }], shape, { encoding: 'none', forceSameShape: true }), { code: 'DATASET_BUILD_FAILED' });
});
