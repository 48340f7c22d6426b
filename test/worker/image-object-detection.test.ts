// The image-object-detection extension (§7.7) on real folders: KITTI parsing, the class table,
// padding then resizing, the 1×(M+1)×16 float label Datums, and the stage errors (no Redis needed).
import fs from 'node:fs/promises';
import path from 'node:path';
import t from 'tap';
import type { GenericDatasetOptions, ImageObjectDetectionOptions } from '@digits-ts/contracts';
import { createRandom, decodeDatum, openDbReader } from '@digits-ts/dataset';
import { encodeImage } from '@digits-ts/imaging';
import { classIdOf, labelArray, padImage, parseKitti } from '../../apps/worker/src/extensions/image-object-detection.ts';
import { buildGenericDataset } from '../../apps/worker/src/generic-build/build-generic.ts';

const line = (type: string, box: number[], z: number, extra = '') => `${type} 0.5 1 -1.2 ${box.join(' ')} 1.4 1.6 3.9 2.0 1.5 ${z} 0.3${extra}`;

t.test('KITTI lines: 15+ fields, blank lines skipped, type lower-cased, score ignored', async (t) => {
  const objects = parseKitti(`${line('Car', [1, 2, 11, 12], 20)}\n\n${line('Pedestrian', [0, 0, 4, 8], 5, ' 0.99')}\n`, 'a.txt');
  t.equal(objects.length, 2);
  t.match(objects[0], { type: 'car', truncated: 0.5, occluded: 1, alpha: -1.2, left: 1, top: 2, right: 11, bottom: 12, height: 1.4, width: 1.6, length: 3.9, x: 2, y: 1.5, z: 20, rotationY: 0.3 });
  t.equal(objects[1]!.type, 'pedestrian');
  t.throws(() => parseKitti('Car 0 0 0 1 2 3 4', 'bad.txt'), { code: 'DATASET_BUILD_FAILED', message: 'Invalid label format in "bad.txt"' });
});

t.test('class ids: DIGITS\' table, or the custom list by position; unknown → 0', async (t) => {
  t.same(['dontcare', 'car', 'van', 'pedestrian', 'person', 'cyclist', 'misc', 'boat'].map((c) => classIdOf(c, [])), [0, 1, 2, 8, 8, 12, 15, 0]);
  t.same(['boat', 'car', 'plane'].map((c) => classIdOf(c, ['dontcare', 'boat', 'plane'])), [1, 0, 2]);
});

t.test('label array: row 0 = [n, 16], records sorted by z descending, boxes scaled, small val boxes → class 0', async (t) => {
  const objects = parseKitti([line('Car', [10, 20, 30, 60], 5), line('Van', [0, 0, 4, 4], 30)].join('\n'), 'l.txt');
  const label = labelArray(objects, 3, { scaleX: 0.5, scaleY: 0.25, minBoxSize: 0, customClasses: [] });
  t.equal(label.length, 4 * 16);
  t.same(Array.from(label.subarray(0, 16)), [2, 16, ...new Array(14).fill(0)]);
  // the van (z 30) first: [left, top, w, h, alpha, class, 0, rotation_y, truncated, occluded, length, width, height, x, y, z]
  t.same(Array.from(label.subarray(16, 32)).map((v) => Math.round(v * 1000) / 1000), [0, 0, 2, 1, -1.2, 2, 0, 0.3, 0.5, 1, 3.9, 1.6, 1.4, 2, 1.5, 30]);
  t.same(Array.from(label.subarray(32, 38)), [5, 5, 10, 10, -1.2000000476837158, 1]);
  t.same(Array.from(label.subarray(48)), new Array(16).fill(0), 'rows past n are zero');
  const val = labelArray(objects, 2, { scaleX: 1, scaleY: 1, minBoxSize: 5, customClasses: [] });
  t.equal(val[16 + 5], 0, 'the 4×4 van is below val_min_box_size 5');
  t.equal(val[32 + 5], 1, 'the car stays');
});

t.test('padding: top-left on black; larger images fail', async (t) => {
  const img = { data: Buffer.from([1, 2, 3, 4]), width: 2, height: 2, channels: 1 as const };
  t.same([...padImage(img, 3, 3).data], [1, 2, 0, 3, 4, 0, 0, 0, 0]);
  t.throws(() => padImage(img, 1, 3), { message: 'Source image width 2 is greater than padding width 1' });
  t.throws(() => padImage(img, 3, 1), { message: 'Source image height 2 is greater than padding height 1' });
});

/** A w×h RGB PNG whose every pixel is `v`. */
async function png(file: string, w: number, h: number, v: number): Promise<void> {
  await fs.mkdir(path.dirname(file), { recursive: true });
  await fs.writeFile(file, await encodeImage({ data: Buffer.alloc(w * h * 3, v), width: w, height: h, channels: 3 }, 'png'));
}

function detection(root: string, o: Partial<ImageObjectDetectionOptions> = {}, dsopts: Partial<GenericDatasetOptions> = {}): GenericDatasetOptions {
  return {
    extension: 'image-object-detection', featureEncoding: 'png', labelEncoding: 'none', batchSize: 4, threads: 2, forceSameShape: true,
    ...dsopts,
    extensionOptions: {
      trainImageFolder: path.join(root, 'train/images'), trainLabelFolder: path.join(root, 'train/labels'), valImageFolder: path.join(root, 'val/images'), valLabelFolder: path.join(root, 'val/labels'),
      padding: { width: 24, height: 16 }, resize: { width: 12, height: 4 }, channelConversion: 'RGB', valMinBoxSize: 3, customClasses: [], ...o,
    },
  } as GenericDatasetOptions;
}

t.test('a whole build: padded and resized features, float label DBs of 1×(M+1)×16 per stage', async (t) => {
  const root = path.join(t.testdir(), 'root');
  await png(path.join(root, 'train/images/a.png'), 20, 10, 100);
  await png(path.join(root, 'train/images/sub/b.png'), 16, 16, 200);
  await fs.mkdir(path.join(root, 'train/labels'), { recursive: true });
  await fs.writeFile(path.join(root, 'train/labels/a.txt'), `${line('Car', [2, 2, 10, 6], 1)}\n`);
  await fs.writeFile(path.join(root, 'train/labels/b.txt'), [line('Car', [0, 0, 8, 8], 1), line('Car', [8, 8, 16, 16], 2)].join('\n'));
  await fs.writeFile(path.join(root, 'train/labels/orphan.txt'), [1, 2, 3].map((z) => line('Car', [0, 0, 1, 1], z)).join('\n'));
  await png(path.join(root, 'val/images/c.png'), 24, 16, 50);
  await fs.mkdir(path.join(root, 'val/labels'), { recursive: true });
  await fs.writeFile(path.join(root, 'val/labels/c.txt'), `${line('Car', [0, 0, 8, 8], 1)}\n${line('Car', [10, 10, 12, 12], 1)}\n`);
  const jobDir = path.join(path.dirname(root), 'job');
  const state = await buildGenericDataset({ jobDir, options: detection(root), random: createRandom(1), signal: new AbortController().signal, roots: [root], maxPixels: 1e6, onState: async () => {} });
  t.same(state.createDbTasks.map((x) => [x.entry_count, x.label_db_path]), [[2, 'train_db/labels'], [1, 'val_db/labels'], [0, null]]);
  t.same(state.featureDims, [4, 12, 3], 'every image padded to 24×16 then squashed to 12×4');
  const read = (db: string) => {
    const reader = openDbReader(path.join(jobDir, db));
    try {
      return [...reader.entries()].map((e) => decodeDatum(e.value));
    } finally {
      reader.close();
    }
  };
  const labels = read('train_db/labels');
  // M = 3 here: the orphan label file counts though it has no image
  t.ok(labels.every((l) => l.channels === 1 && l.height === 4 && l.width === 16 && l.floatData.length === 64), 'train labels 1×4×16');
  const features = read('train_db/features');
  const byCount = new Map(labels.map((l, i) => [l.floatData[0], { label: l, feature: features[i]! }]));
  const a = byCount.get(1)!;
  t.same(Array.from(a.label.floatData.slice(16, 20)), [1, 0.5, 4, 1], 'a: left, top, w, h × (12/24, 4/16)');
  const b = byCount.get(2)!;
  t.same(Array.from(b.label.floatData.slice(16, 20)), [4, 2, 4, 2], 'b: the z = 2 object first');
  t.equal(b.label.floatData[5 + 16], 1, 'car is class 1');
  t.ok(a.feature.encoded, 'features PNG by default');
  const val = read('val_db/labels');
  t.same([val[0]!.height, val[0]!.width], [3, 16], 'val M is its own folder\'s');
  t.same([val[0]!.floatData[16 + 5], val[0]!.floatData[32 + 5]], [1, 0], 'the 2×2 val object is below val_min_box_size 3');

});

t.test('stage errors (§7.7)', async (t) => {
  const root = path.join(t.testdir(), 'root');
  await png(path.join(root, 'train/images/a.png'), 20, 10, 100);
  await fs.mkdir(path.join(root, 'train/labels'), { recursive: true });
  await fs.mkdir(path.join(root, 'val/images'), { recursive: true });
  let jobs = 0;
  const run = (options: GenericDatasetOptions) => buildGenericDataset({ jobDir: path.join(path.dirname(root), `job${jobs++}`), options, random: createRandom(1), signal: new AbortController().signal, roots: [root], maxPixels: 1e6, onState: async () => {} });
  const trainOnly = { valImageFolder: null, valLabelFolder: null };
  await t.rejects(run(detection(root, trainOnly)), { code: 'DATASET_BUILD_FAILED', message: `error: no label files found in ${path.join(root, 'train/labels')}` });
  await fs.writeFile(path.join(root, 'train/labels/other.txt'), '');
  await t.rejects(run(detection(root, trainOnly)), { message: 'Label key a not found in label folder' });
  await fs.writeFile(path.join(root, 'train/labels/a.txt'), 'Car 1 2\n');
  await t.rejects(run(detection(root, trainOnly)), { message: `Invalid label format in "${path.join(root, 'train/labels/a.txt')}"` });
  await fs.writeFile(path.join(root, 'train/labels/a.txt'), `${line('Car', [2, 2, 10, 6], 1)}\n`);
  await t.rejects(run(detection(root, { ...trainOnly, padding: { width: 16, height: 16 } })), { message: 'Source image width 20 is greater than padding width 16' });
  await t.rejects(run(detection(root, trainOnly, { labelEncoding: 'png' })), { message: /must be none/ });
  const ok = await run(detection(root, { ...trainOnly, padding: null, resize: null }));
  t.same(ok.featureDims, [10, 20, 3], 'no padding, no resize: the image\'s own size');
  t.same(ok.createDbTasks.map((x) => x.entry_count), [1, 0, 0], 'no validation folders: an empty val stage');
});
