// The image-processing walkthrough (§7.5) over real HTTP with a real worker: paired input/label
// folders (targets = the inverted inputs) become a dataset with image labels, a Caffe network
// with an image output trains 3 epochs under EuclideanLoss, and the generic inference routes
// (§10.5) answer the output image in Caffe's C×H×W layout.
import fs from 'node:fs/promises';
import path from 'node:path';
import t from 'tap';
import { datumDataToPixels, decodeDatum, openDbReader } from '@digits-ts/dataset';
import { decodeImage, encodeImage } from '@digits-ts/imaging';
import { flat, httpPoster, shapeOf, trainedModel } from '../helpers/http-forms.ts';
import { login, startStack, waitForStatus } from '../helpers/stack.ts';

const FIXTURES = new URL('../fixtures/', import.meta.url);
const SIZE = 16;

/** Input `i`: a bright 4×4 square at an i-dependent place on an i-dependent grey level. */
function input(i: number): Buffer {
  const [level, x0, y0] = [(i * 37) % 128, (i * 5) % 12, (i * 7) % 12];
  return Buffer.from(Array.from({ length: SIZE * SIZE }, (_, p) => {
    const [x, y] = [p % SIZE, Math.floor(p / SIZE)];
    return x >= x0 && x < x0 + 4 && y >= y0 && y < y0 + 4 ? 250 : level;
  }));
}

const png = (data: Buffer, channels: 1 | 3 = 1) => encodeImage({ data, width: SIZE, height: SIZE, channels }, 'png');
const inverted = (data: Buffer) => Buffer.from(data.map((v) => 255 - v));
/** Grey stored as RGB: channel_conversion=L must bring it back to one channel. */
const asRgb = (data: Buffer) => Buffer.from([...data].flatMap((v) => [v, v, v]));

/** 64 pairs: inputs under in/ (a quarter of them in in/more/), inverted targets under out/ with the same layout. */
async function writePairs(dataDir: string): Promise<void> {
  for (let i = 0; i < 64; i++) {
    const sub = i % 4 === 0 ? 'more' : '';
    const name = `${String(i).padStart(4, '0')}`;
    await fs.mkdir(path.join(dataDir, 'in', sub), { recursive: true });
    await fs.mkdir(path.join(dataDir, 'out', sub), { recursive: true });
    await fs.writeFile(path.join(dataDir, 'in', sub, `${name}.png`), await png(asRgb(input(i)), 3));
    await fs.writeFile(path.join(dataDir, 'out', sub, `${name}.png`), await png(inverted(input(i))));
  }
}

t.test('image-processing: paired folders → dataset → image-output model → inference', async (t) => {
  const stack = await startStack(t);
  const base = await stack.app.listen({ port: 0, host: '127.0.0.1' });
  const cookie = await login(stack.app, 'alice');
  const post = httpPoster(base, cookie);
  const getJson = async (url: string) => (await fetch(`${base}${url}`)).json() as Promise<Record<string, unknown>>;
  await writePairs(stack.dataDir);
  const [inDir, outDir] = [path.join(stack.dataDir, 'in'), path.join(stack.dataDir, 'out')];

  // bad forms: every message at once, then the folders (inside DATA_ROOTS only)
  const blank = await post('/datasets/generic/create/image-processing.json', { dataset_name: 'x', folder_pct_val: '', channel_conversion: 'YUV' });
  t.equal(blank.status, 400);
  t.same(blank.body, { errors: {
    feature_folder: ['This field is required.'], label_folder: ['This field is required.'],
    folder_pct_val: ['Not a valid integer value', 'Number must be between 0 and 100.'], channel_conversion: ['Not a valid choice'],
  }, code: 'VALIDATION_FAILED' });
  const missing = await post('/datasets/generic/create/image-processing.json', { dataset_name: 'x', feature_folder: inDir, label_folder: path.join(stack.dataDir, 'nope') });
  t.same(missing.body, { errors: { label_folder: ['Folder does not exist or is not reachable'] }, code: 'VALIDATION_FAILED' });
  const outside = await post('/datasets/generic/create/image-processing.json', { dataset_name: 'x', feature_folder: inDir, label_folder: stack.jobsDir });
  t.equal(outside.status, 400);
  t.match(outside.body, { code: 'PATH_NOT_ALLOWED', errors: { label_folder: [/outside the folders listed in DATA_ROOTS/] } });
  const noVal = await post('/datasets/generic/create/image-processing.json', { dataset_name: 'x', feature_folder: inDir, label_folder: outDir, has_val_folder: 'y' });
  t.same(noVal.body, { errors: { validation_feature_folder: ['This field is required.'], validation_label_folder: ['This field is required.'] }, code: 'VALIDATION_FAILED' });

  // the dataset: 10 % of 64 pairs (6) to val, the rest to train; inputs converted to one channel
  const created = await post('/datasets/generic/create/image-processing.json', { dataset_name: 'invert', feature_folder: inDir, label_folder: outDir, channel_conversion: 'L' });
  t.equal(created.status, 200, 'dataset created');
  const datasetId = created.body.id as string;
  t.match(created.body, { name: 'invert', status: 'Initialized' });
  t.equal(await waitForStatus(stack.app, datasetId), 'Done');
  t.match(await getJson(`/datasets/${datasetId}/status`), { type: 'Generic Dataset', status: 'Done' });
  t.same(await getJson(`/datasets/${datasetId}.json`), {
    id: datasetId, name: 'invert', status: 'Done', directory: path.join(stack.jobsDir, datasetId),
    create_db_tasks: [
      { name: 'Create train_db DB', stage: 'train_db', entry_count: 58, feature_db_path: 'train_db/features', label_db_path: 'train_db/labels' },
      { name: 'Create val_db DB', stage: 'val_db', entry_count: 6, feature_db_path: 'val_db/features', label_db_path: 'val_db/labels' },
      { name: 'Create test_db DB', stage: 'test_db', entry_count: 0, feature_db_path: null, label_db_path: null },
    ],
    feature_dims: [SIZE, SIZE, 1],
  });
  // every label is its feature inverted: the pairs stayed together through the shuffle
  const features = openDbReader(path.join(stack.jobsDir, datasetId, 'val_db/features'));
  const labels = openDbReader(path.join(stack.jobsDir, datasetId, 'val_db/labels'));
  try {
    const l = [...labels.entries()];
    for (const [i, entry] of [...features.entries()].entries()) {
      const feature = (await decodeImage(Buffer.from(decodeDatum(entry.value).data), { maxPixels: 1e6 })).data;
      const label = decodeDatum(l[i]!.value);
      t.match(label, { channels: 1, height: SIZE, width: SIZE, encoded: false }, 'raw label Datums by default');
      t.same([...datumDataToPixels(label.data, SIZE, SIZE, 1)], [...inverted(feature)], `val pair ${entry.key}`);
    }
  } finally {
    features.close();
    labels.close();
  }

  // pairs that do not match fail the build with DIGITS' message
  await fs.writeFile(path.join(outDir, 'extra.png'), await png(input(0)));
  const unpaired = await post('/datasets/generic/create/image-processing.json', { dataset_name: 'unpaired', feature_folder: inDir, label_folder: outDir });
  t.equal(await waitForStatus(stack.app, unpaired.body.id as string), 'Error');
  t.match((await stack.app.services.store.get(unpaired.body.id as string))?.error, { code: 'DATASET_BUILD_FAILED', message: 'Expect same number of images in feature and label folders (64!=65)' });

  // a Caffe network of two convolutions with a 16×16×1 output, Euclidean loss against the label image
  const prototxt = await fs.readFile(new URL('image-processing.prototxt', FIXTURES), 'utf8');
  const modelId = await trainedModel(t, stack.app, post, '/models/images/genericimage-processing.json', {
    model_name: 'invert', dataset: datasetId, framework: 'caffe', method: 'custom', custom_network: prototxt,
    train_epochs: '3', solver_type: 'ADAM', learning_rate: '0.01', lr_policy: 'fixed', batch_size: '8', shuffle: 'true', random_seed: '7', use_mean: 'none',
  }, 180_000);
  const detail = await getJson(`/models/${modelId}.json`) as { snapshots: number[] };
  t.same(detail.snapshots, [1, 2, 3]);
  const training = await getJson(`/models/${modelId}/training.json`) as { val_outputs: Record<string, { kind: string; values: number[] }> };
  const loss = training.val_outputs.loss!;
  t.equal(loss.kind, 'EuclideanLoss');
  t.equal(loss.values.length, 3);
  t.ok(loss.values[2]! < loss.values[0]!, `val loss falls: ${loss.values.map((v) => v.toFixed(0)).join(' → ')}`);

  // infer_one: the output blob with its batch dimension, an image of the label's shape (C×H×W)
  const probe = input(99);
  const one = await post('/models/images/generic/infer_one.json', { job_id: modelId }, { image_file: { name: 'probe.png', data: await png(probe) } });
  t.equal(one.status, 200, JSON.stringify(one.body.error ?? 'infer_one answered'));
  const outputs = one.body.outputs as Record<string, unknown>;
  t.same(Object.keys(outputs), ['output']);
  t.same(shapeOf(outputs.output), [1, 1, SIZE, SIZE]);
  t.ok(flat(outputs.output).every(Number.isFinite), 'finite values');

  // the page with view_extension_id=image-output (the name for image-image-output, §10.6)
  // draws that output: a 16×16 grey PNG, normalized, so darkest → 0 and brightest → 255
  const form = new FormData();
  form.append('job_id', modelId);
  form.append('view_extension_id', 'image-output');
  form.append('image_file', new Blob([await png(probe)]), 'probe.png');
  const html = await (await fetch(`${base}/models/images/generic/infer_one`, { method: 'POST', body: form, headers: { cookie } })).text();
  const drawn = /<img src="data:image\/png;base64,([^"]+)"[^>]*class="pixelated output-image"/.exec(html);
  t.ok(drawn, 'the page shows the output image');
  const image = await decodeImage(Buffer.from(drawn![1]!, 'base64'), { maxPixels: 1 << 20 });
  t.same([image.width, image.height, image.channels], [SIZE, SIZE, 1]);
  const values = flat(outputs.output);
  const [lo, hi] = [Math.min(...values), Math.max(...values)];
  t.same([image.data[values.indexOf(lo)], image.data[values.indexOf(hi)]], [0, 255], 'normalized: the darkest output pixel is 0, the brightest 255');

  // infer_many and infer_db: one output image per input, no batch dimension
  await fs.writeFile(path.join(stack.dataDir, 'probe.png'), await png(probe));
  const many = await post('/models/images/generic/infer_many.json', { job_id: modelId, image_folder: stack.dataDir }, { image_list: { name: 'list.txt', data: Buffer.from('probe.png\nin/0001.png\n') } });
  t.equal(many.status, 200, JSON.stringify(many.body.error ?? 'infer_many answered'));
  const manyOutputs = many.body.outputs as Record<string, { output: unknown }>;
  t.same(Object.keys(manyOutputs), ['probe.png', 'in/0001.png']);
  for (const value of Object.values(manyOutputs)) t.same(shapeOf(value.output), [1, SIZE, SIZE]);
  t.same(flat(manyOutputs['probe.png']!.output), flat(outputs.output), 'the same image gives the same output');
  const dbCopy = path.join(stack.dataDir, 'val-features');
  await fs.cp(path.join(stack.jobsDir, datasetId, 'val_db', 'features'), dbCopy, { recursive: true });
  const db = await post('/models/images/generic/infer_db.json', { job_id: modelId, db_path: dbCopy });
  t.equal(db.status, 200, JSON.stringify(db.body.error ?? 'infer_db answered'));
  const dbOutputs = db.body.outputs as Record<string, { output: unknown }>;
  t.equal(Object.keys(dbOutputs).length, 6);
  t.same(shapeOf(dbOutputs['000000000']!.output), [1, SIZE, SIZE]);

  // the extension has no inference form (§7.5); DIGITS fails with a 500, this is the client's mistake
  const ext = await post('/models/images/generic/infer_extension.json', { job_id: modelId });
  t.equal(ext.status, 400);
  t.match(ext.body, { error: { description: /"image-processing" extension has no inference form/ } });
  const page = await (await fetch(`${base}/models/${modelId}`, { headers: { cookie } })).text();
  t.notMatch(page, /id="infer-extension"/, 'so the model page offers none');
  t.match(await (await fetch(`${base}/datasets/generic/new/image-processing`, { headers: { cookie } })).text(), /name="feature_folder"/, 'the new-dataset page has the extension\'s form');
});
