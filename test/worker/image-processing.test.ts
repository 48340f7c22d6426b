// The image-processing extension (§7.5) on real folders: listing, pairing by position and base
// name, the seeded split, channel conversion, and a whole build into LMDBs (no Redis needed).
import fs from 'node:fs/promises';
import path from 'node:path';
import t from 'tap';
import type { GenericDatasetOptions, ImageProcessingOptions } from '@digits-ts/contracts';
import { createRandom, datumDataToPixels, decodeDatum, openDbReader, readDatasetManifest } from '@digits-ts/dataset';
import { encodeImage } from '@digits-ts/imaging';
import { listImages, loadImage, pairImages, splitPairs, stagePairs } from '../../apps/worker/src/extensions/image-processing.ts';
import { buildGenericDataset } from '../../apps/worker/src/generic-build/build-generic.ts';

/** Writes an image file (format from the extension) of w×h pixels with `channels` channels, every value `v`. */
async function image(file: string, w: number, h: number, channels: 1 | 3 | 4, v: number | ((i: number) => number)): Promise<void> {
  await fs.mkdir(path.dirname(file), { recursive: true });
  const data = Buffer.alloc(w * h * channels);
  for (let i = 0; i < data.length; i++) data[i] = typeof v === 'number' ? v : v(i);
  if (channels === 4) {
    const sharp = (await import('sharp')).default;
    await fs.writeFile(file, await sharp(data, { raw: { width: w, height: h, channels: 4 } }).png().toBuffer());
    return;
  }
  await fs.writeFile(file, await encodeImage({ data, width: w, height: h, channels }, file.endsWith('.jpg') ? 'jpg' : 'png'));
}

t.test('listing: supported images found recursively, sorted by full path; links out of the roots skipped', async (t) => {
  // one testdir per test: data root and a folder outside it side by side
  const root = path.join(t.testdir(), 'root');
  const outside = path.join(path.dirname(root), 'outside');
  const dir = path.join(root, 'in');
  for (const name of ['b.png', 'a.JPG', 'sub/c.png', 'sub/deeper/a.png', 'A.png']) await image(path.join(dir, name), 2, 2, 1, 0);
  await fs.writeFile(path.join(dir, 'notes.txt'), 'not an image');
  await image(path.join(root, 'linked/z.png'), 2, 2, 1, 0);
  await image(path.join(outside, 'secret.png'), 2, 2, 1, 0);
  await fs.symlink(path.join(root, 'linked'), path.join(dir, 'link'));
  await fs.symlink(outside, path.join(dir, 'escape'));
  await fs.symlink(path.join(outside, 'secret.png'), path.join(dir, 'secret.png'));
  const files = await listImages(dir, [root]);
  t.same(files.map((f) => path.relative(dir, f)), ['A.png', 'a.JPG', 'b.png', 'link/z.png', 'sub/c.png', 'sub/deeper/a.png']);
  await fs.mkdir(path.join(root, 'empty'));
  await t.rejects(listImages(path.join(root, 'empty'), [root]), { code: 'DATASET_BUILD_FAILED', message: `Unable to find supported images in ${path.join(root, 'empty')}` });
  await t.rejects(listImages(outside, [root]), { code: 'PATH_NOT_ALLOWED' }, 'the worker checks the folder itself again');
});

t.test('pairing: by position, base names must agree, extensions may differ', async (t) => {
  t.same(pairImages(['/f/0001.png', '/f/sub/0003.jpg'], ['/l/0001.bmp', '/l/sub/0003.png']), [
    { feature: '/f/0001.png', label: '/l/0001.bmp' },
    { feature: '/f/sub/0003.jpg', label: '/l/sub/0003.png' },
  ]);
  t.throws(() => pairImages(['/f/1.png', '/f/2.png'], ['/l/1.png']), { code: 'DATASET_BUILD_FAILED', message: 'Expect same number of images in feature and label folders (2!=1)' });
  t.throws(() => pairImages(['/f/1.png', '/f/2.png'], ['/l/1.png', '/l/3.png']), { message: 'No corresponding feature/label pair found for (2,3)' });
});

t.test('split: a seed-driven permutation, ⌊n·pct/100⌋ to val; validation folders keep sorted order', async (t) => {
  const pairs = Array.from({ length: 25 }, (_, i) => ({ feature: `/f/${i}.png`, label: `/l/${i}.png` }));
  const a = splitPairs(pairs, { pctVal: 10, seed: 42 }, null);
  t.equal(a.val_db.length, 2, '⌊25·10/100⌋');
  t.equal(a.train_db.length, 23);
  t.same(a.test_db, []);
  t.same(splitPairs(pairs, { pctVal: 10, seed: 42 }, null), a, 'the same seed gives the same split (every stage task re-splits)');
  t.same([...a.val_db, ...a.train_db].map((p) => p.feature).sort(), pairs.map((p) => p.feature).sort(), 'every pair once');
  t.notSame(splitPairs(pairs, { pctVal: 10, seed: 43 }, null).train_db, a.train_db, 'another seed, another permutation');
  t.same(splitPairs(pairs, { pctVal: 0, seed: 1 }, null).val_db, []);
  t.same(splitPairs(pairs, { pctVal: 100, seed: 1 }, null).train_db, []);
  const val = [{ feature: '/vf/x.png', label: '/vl/x.png' }];
  t.same(splitPairs(pairs, { pctVal: 50, seed: 1 }, val), { train_db: pairs, val_db: val, test_db: [] }, 'pct ignored, no shuffle');
});

t.test('loading: §6.6 modes, then channel_conversion on both images', async (t) => {
  const root = t.testdir();
  const rgb = path.join(root, 'rgb.png');
  const grey = path.join(root, 'grey.png');
  const rgba = path.join(root, 'rgba.png');
  await image(rgb, 3, 2, 3, (i) => [200, 100, 50][i % 3]!);
  await image(grey, 3, 2, 1, 77);
  await image(rgba, 1, 1, 4, (i) => [0, 0, 0, 0][i]!);
  const roots = [root];
  t.match(await loadImage(rgb, 'none', roots, 1e6), { width: 3, height: 2, channels: 3 });
  const luma = await loadImage(rgb, 'L', roots, 1e6);
  t.equal(luma.channels, 1);
  t.equal(luma.data[0], Math.round(0.299 * 200 + 0.587 * 100 + 0.114 * 50), 'PIL luma');
  const replicated = await loadImage(grey, 'RGB', roots, 1e6);
  t.same([...replicated.data.subarray(0, 3)], [77, 77, 77]);
  t.same([...(await loadImage(rgba, 'none', roots, 1e6)).data], [255, 255, 255], 'transparent RGBA over white');
  await t.rejects(loadImage(path.join(root, 'gone.png'), 'none', roots, 1e6), { code: 'IMAGE_NOT_FOUND' });
  await fs.writeFile(path.join(root, 'broken.png'), 'not a png');
  await t.rejects(loadImage(path.join(root, 'broken.png'), 'none', roots, 1e6), { code: 'IMAGE_DECODE_FAILED' });
});

/** Options of a build over `root`/in and `root`/out. */
function processing(root: string, extension: Partial<ImageProcessingOptions> = {}, dsopts: Partial<GenericDatasetOptions> = {}): GenericDatasetOptions {
  return {
    extension: 'image-processing', featureEncoding: 'png', labelEncoding: 'none', batchSize: 32, threads: 3, forceSameShape: true, ...dsopts,
    extensionOptions: { featureFolder: path.join(root, 'in'), labelFolder: path.join(root, 'out'), pctVal: 20, valFeatureFolder: null, valLabelFolder: null, channelConversion: 'none', seed: 7, ...extension },
  } as GenericDatasetOptions;
}

t.test('a whole build: features and label images share keys, feature_dims [H, W, C], the manifest', async (t) => {
  const root = path.join(t.testdir(), 'root');
  // input i: grey value i; target: its inverse, as RGB
  for (let i = 0; i < 10; i++) {
    await image(path.join(root, 'in', `${String(i).padStart(2, '0')}.png`), 6, 4, 1, i);
    await image(path.join(root, 'out', `${String(i).padStart(2, '0')}.png`), 6, 4, 3, 255 - i);
  }
  const jobDir = path.join(path.dirname(root), 'job');
  const states: number[] = [];
  const options = processing(root, { channelConversion: 'none' });
  const state = await buildGenericDataset({ jobDir, options, random: createRandom(1), signal: new AbortController().signal, roots: [root], maxPixels: 1e6, onState: async (s) => { states.push(s.createDbTasks.filter((x) => x.entry_count !== null).length); } });
  t.same(state, {
    createDbTasks: [
      { name: 'Create train_db DB', stage: 'train_db', entry_count: 8, feature_db_path: 'train_db/features', label_db_path: 'train_db/labels' },
      { name: 'Create val_db DB', stage: 'val_db', entry_count: 2, feature_db_path: 'val_db/features', label_db_path: 'val_db/labels' },
      { name: 'Create test_db DB', stage: 'test_db', entry_count: 0, feature_db_path: null, label_db_path: null },
    ],
    featureDims: [4, 6, 1],
  });
  t.same(states, [1, 2, 3]);
  const manifest = await readDatasetManifest(jobDir);
  t.match(manifest, { kind: 'generic', imageDims: [4, 6, 1], mean: 'mean.binaryproto', stages: { train: { db: 'train_db/features', labelDb: 'train_db/labels', entries: 8 } } });
  const expected = await stagePairs(options.extensionOptions as ImageProcessingOptions, [root]);
  const features = openDbReader(path.join(jobDir, 'val_db/features'));
  const labels = openDbReader(path.join(jobDir, 'val_db/labels'));
  try {
    const l = [...labels.entries()];
    for (const [i, entry] of [...features.entries()].entries()) {
      t.equal(entry.key, l[i]!.key);
      const value = Number(path.basename(expected.val_db[i]!.feature, '.png'));
      const label = decodeDatum(l[i]!.value);
      t.match(label, { channels: 3, height: 4, width: 6, encoded: false });
      t.ok(datumDataToPixels(label.data, 6, 4, 3).every((v) => v === 255 - value), `val entry ${i} is the pair of ${value}`);
    }
  } finally {
    features.close();
    labels.close();
  }
});

t.test('a build fails on an unreadable pair or a shape mismatch; L conversion applies to labels', async (t) => {
  const root = path.join(t.testdir(), 'root');
  let jobs = 0;
  for (let i = 0; i < 4; i++) {
    await image(path.join(root, 'in', `${i}.png`), 4, 4, 3, 10);
    await image(path.join(root, 'out', `${i}.jpg`), 4, 4, 3, 200);
  }
  const run = (options: GenericDatasetOptions) => buildGenericDataset({ jobDir: path.join(path.dirname(root), `job${jobs++}`), options, random: createRandom(1), signal: new AbortController().signal, roots: [root], maxPixels: 1e6, onState: async () => {} });
  const grey = await run(processing(root, { channelConversion: 'L', pctVal: 0 }));
  t.same(grey.featureDims, [4, 4, 1], 'features converted to L');
  await image(path.join(root, 'in', '9.png'), 8, 8, 3, 10);
  await image(path.join(root, 'out', '9.png'), 4, 4, 3, 10);
  await t.rejects(run(processing(root, { pctVal: 0 })), { code: 'DATASET_BUILD_FAILED', message: 'Feature shape mismatch (last:(3, 8, 8), previous:(3, 4, 4))' });
  const mixed = await run(processing(root, { pctVal: 0 }, { forceSameShape: false }));
  t.equal(mixed.createDbTasks[0]!.entry_count, 5, 'accepted without force_same_shape');
  await fs.writeFile(path.join(root, 'out', '9.png'), 'garbage');
  await t.rejects(run(processing(root, { pctVal: 0 }, { forceSameShape: false })), { code: 'IMAGE_DECODE_FAILED' }, 'no skipping (§7.5)');
});
