// The segmentation walkthrough (issue #21, contract §7.6, §10.6) over real HTTP with a real
// worker: generated 32×32 images of a rectangle and a disc on noisy backgrounds with paletted
// class masks become an image-segmentation dataset (palette and class labels in its JSON), an
// FCN-style Caffe network (conv/pool → bilinear Deconvolution → Crop → per-pixel SoftmaxWithLoss)
// trains 5 epochs with its mean IoU rising, and infer_one answers the score map in JSON and the
// class overlay with its legend on the page.
import fs from 'node:fs/promises';
import path from 'node:path';
import t from 'tap';
import { decode as decodePng } from 'fast-png';
import { decodeDatum, openDbReader } from '@digits-ts/dataset';
import { axeViolations, launchBrowser, serious } from '../helpers/browser.ts';
import { SHAPE_PALETTE, shapesRgbPng, shapesSample, writeShapesDataset } from '../helpers/segmentation-shapes.ts';
import { flat, httpPoster, shapeOf, trainedModel } from '../helpers/http-forms.ts';
import { login, startStack, waitForStatus } from '../helpers/stack.ts';

const FIXTURES = new URL('../fixtures/', import.meta.url);
const SIZE = 32;
const PAIRS = 240;
const PALETTE = SHAPE_PALETTE;
const sample = (i: number) => shapesSample(i, SIZE);
const rgbPng = (rgb: Buffer) => shapesRgbPng(rgb, SIZE);

t.test('image-segmentation: shapes dataset → FCN 5 epochs → mean IoU rises → overlay', async (t) => {
  const stack = await startStack(t);
  const base = await stack.app.listen({ port: 0, host: '127.0.0.1' });
  const cookie = await login(stack.app, 'alice');
  const post = httpPoster(base, cookie);
  const getJson = async (url: string) => (await fetch(`${base}${url}`)).json() as Promise<Record<string, unknown>>;
  await writeShapesDataset(stack.dataDir, PAIRS, SIZE);
  const [images, labels, classes] = ['images', 'labels', 'classes.txt'].map((p) => path.join(stack.dataDir, p)) as [string, string, string];
  const create = '/datasets/generic/create/image-segmentation.json';

  // the form: DIGITS' messages, every error at once
  const blank = await post(create, { dataset_name: 'x', colormap_method: 'textfile', channel_conversion: 'YUV' });
  t.equal(blank.status, 400);
  t.same(blank.body, { errors: {
    feature_folder: ['This field is required.'], label_folder: ['This field is required.'],
    channel_conversion: ['Not a valid choice'], colormap_text_file: ['This field is required.'],
  }, code: 'VALIDATION_FAILED' });
  const missingFile = await post(create, { dataset_name: 'x', feature_folder: images, label_folder: labels, class_labels_file: path.join(stack.dataDir, 'nope.txt') });
  t.same(missingFile.body, { errors: { class_labels_file: ['File does not exist or is not reachable'] }, code: 'VALIDATION_FAILED' });
  const badMethod = await post(create, { dataset_name: 'x', feature_folder: images, label_folder: labels, colormap_method: 'rgb' });
  t.same(badMethod.body, { errors: { colormap_method: ['Not a valid choice'] }, code: 'VALIDATION_FAILED' });

  // RGB labels under the `label` method fail the build with DIGITS' message
  const rgbLabels = path.join(stack.dataDir, 'rgb-labels');
  await fs.mkdir(rgbLabels);
  for (const name of await fs.readdir(images)) await fs.copyFile(path.join(images, name), path.join(rgbLabels, name));
  const wrongMode = await post(create, { dataset_name: 'rgb', feature_folder: images, label_folder: rgbLabels });
  t.equal(wrongMode.status, 200);
  t.equal(await waitForStatus(stack.app, wrongMode.body.id as string), 'Error');
  t.match((await stack.app.services.store.get(wrongMode.body.id as string))?.error, { code: 'DATASET_BUILD_FAILED', message: /^Labels are expected to be single-channel \(paletted or grayscale\) images - .*00000\.png mode is 'RGB'\./ });

  // the dataset: 10 % to val, PNG-encoded labels as the UI recommends
  const created = await post(create, { dataset_name: 'shapes', feature_folder: images, label_folder: labels, class_labels_file: classes, dsopts_label_encoding: 'png' });
  t.equal(created.status, 200, JSON.stringify(created.body));
  const datasetId = created.body.id as string;
  t.equal(await waitForStatus(stack.app, datasetId), 'Done');
  const dataset = await getJson(`/datasets/${datasetId}.json`) as { create_db_tasks: { entry_count: number }[]; feature_dims: number[]; extension_data: { color_palette: number[]; class_labels: string[]; colormap_method: string } };
  t.same(dataset.create_db_tasks.map((task) => task.entry_count), [216, 24, 0]);
  t.same(dataset.feature_dims, [SIZE, SIZE, 3]);
  t.same(dataset.extension_data.class_labels, ['background', 'rectangle', 'disc']);
  t.equal(dataset.extension_data.colormap_method, 'label');
  t.equal(dataset.extension_data.color_palette.length, 768, 'the palette as PIL gives it: 256 colours');
  t.same(dataset.extension_data.color_palette.slice(0, 12), [...PALETTE.flat(), 0, 0, 0]);
  // each label Datum is a 1×H×W class map: PNG-decoded, only the classes 0..2, and not all background
  const reader = openDbReader(path.join(stack.jobsDir, datasetId, 'val_db/labels'));
  try {
    for (const entry of reader.entries()) {
      const datum = decodeDatum(entry.value);
      t.match(datum, { channels: 1, height: SIZE, width: SIZE, encoded: true });
      const values = [...new Set(decodePng(datum.data).data)].sort();
      t.ok(values.every((v) => v <= 2) && values.includes(1) && values.includes(2), `label ${entry.key} holds classes ${values.join(',')}`);
    }
  } finally {
    reader.close();
  }

  // the new-dataset page has the extension's form; a clone fills it with this dataset's values
  const newPage = await (await fetch(`${base}/datasets/generic/new/image-segmentation`, { headers: { cookie } })).text();
  for (const field of ['feature_folder', 'label_folder', 'class_labels_file', 'colormap_method', 'colormap_text_file', 'channel_conversion']) t.match(newPage, new RegExp(`name="${field}"`), `the form has ${field}`);
  const clonePage = await (await fetch(`${base}/datasets/generic/new/image-segmentation?clone=${datasetId}`, { headers: { cookie } })).text();
  t.match(clonePage, new RegExp(`<input[^>]*name="class_labels_file"[^>]*value="${classes.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}"`), 'the clone keeps the class labels file');

  // the explore page shows the label DB coloured through the palette
  const explore = await (await fetch(`${base}/datasets/generic/explore?job_id=${datasetId}&db=val_db/labels`, { headers: { cookie } })).text();
  const pictures = [...explore.matchAll(/src="data:image\/png;base64,([^"]+)"/g)].map((m) => decodePng(Buffer.from(m[1]!, 'base64')));
  t.equal(pictures.length, 24, 'every val label is shown');
  const colours = new Set(pictures.flatMap((p) => Array.from({ length: p.width * p.height }, (_, i) => [...p.data.subarray(i * p.channels, i * p.channels + 3)].join(','))));
  t.same([...colours].sort(), PALETTE.map((c) => c.join(',')).sort(), 'in the palette\'s colours: black background, red rectangles, green discs');

  // the FCN, 5 epochs
  const prototxt = await fs.readFile(new URL('segmentation-fcn.prototxt', FIXTURES), 'utf8');
  // DIGITS' spelling of the extension's model page: its datasets only
  const modelId = await trainedModel(t, stack.app, post, '/models/images/genericimage-segmentation.json', {
    model_name: 'fcn', dataset: datasetId, framework: 'caffe', method: 'custom', custom_network: prototxt,
    train_epochs: '5', solver_type: 'ADAM', learning_rate: '0.01', lr_policy: 'fixed', batch_size: '16', shuffle: 'true', random_seed: '11', use_mean: 'none',
  }, 240_000);
  const training = await getJson(`/models/${modelId}/training.json`) as { val_outputs: Record<string, { kind: string; values: number[] }> };
  const { loss, accuracy, mean_iou: miou } = training.val_outputs;
  t.equal(loss?.kind, 'SoftmaxWithLoss');
  t.same([accuracy?.kind, miou?.kind], ['Accuracy', 'Accuracy']);
  t.same([loss!.values.length, accuracy!.values.length, miou!.values.length], [5, 5, 5], 'one value per epoch');
  t.comment(`mean IoU per epoch: ${miou!.values.map((v) => v.toFixed(3)).join(' → ')}; pixel accuracy ${accuracy!.values.map((v) => v.toFixed(3)).join(' → ')}`);
  t.ok(miou!.values[4]! > miou!.values[0]!, 'mean IoU rises');
  t.ok(miou!.values[4]! > 0.6, `mean IoU ends above 0.6 (${miou!.values[4]!.toFixed(3)})`);
  t.ok(accuracy!.values[4]! > 0.85, `pixel accuracy ends above 0.85 (${accuracy!.values[4]!.toFixed(3)})`);
  t.ok(loss!.values[4]! < loss!.values[0]!, 'val loss falls');

  // infer_one JSON: the score map with its batch dimension, C×H×W (§10.5); no view output
  const probe = sample(1000);
  const one = await post('/models/images/generic/infer_one.json', { job_id: modelId, view_extension_id: 'image-segmentation' }, { image_file: { name: 'probe.png', data: await rgbPng(probe.rgb) } });
  t.equal(one.status, 200, JSON.stringify(one.body.error ?? 'infer_one answered'));
  const outputs = one.body.outputs as Record<string, unknown>;
  t.same(Object.keys(outputs), ['score']);
  t.same(shapeOf(outputs.score), [1, 3, SIZE, SIZE]);
  const scores = flat(outputs.score);
  const argmax = Array.from({ length: SIZE * SIZE }, (_, p) => [0, 1, 2].reduce((best, c) => (scores[c * SIZE * SIZE + p]! > scores[best * SIZE * SIZE + p]! ? c : best), 0));
  const agree = argmax.filter((k, p) => k === probe.mask[p]).length / argmax.length;
  t.ok(agree > 0.8, `the unseen probe is segmented (${(agree * 100).toFixed(1)} % of pixels right)`);

  // the page: the overlay PNG (class 0 clear, other classes in the dataset's palette) and the legend
  const page = await post('/models/images/generic/infer_one', { job_id: modelId, view_extension_id: 'image-segmentation', colormap: 'dataset' }, { image_file: { name: 'probe.png', data: await rgbPng(probe.rgb) } });
  t.equal(page.status, 200);
  const drawn = /class="segmentation-overlay" href="data:image\/png;base64,([^"]+)"/.exec(page.text);
  t.ok(drawn, 'the page shows the overlay');
  const overlay = decodePng(Buffer.from(drawn![1]!, 'base64'));
  t.same([overlay.width, overlay.height, overlay.channels], [SIZE, SIZE, 4], 'an RGBA image of the output size');
  const mismatched = argmax.filter((k, p) => {
    const [r, g, b, a] = [0, 1, 2, 3].map((c) => overlay.data[p * 4 + c]!);
    return k === 0 ? a !== 0 : a === 0 || r !== PALETTE[k]![0] || g !== PALETTE[k]![1] || b !== PALETTE[k]![2];
  });
  t.equal(mismatched.length, 0, 'each pixel is clear for background, else its class\'s palette colour');
  const found = [...new Set(argmax)].filter((k) => k !== 0).sort();
  for (const k of found) t.match(page.text, new RegExp(`<li data-class="${k}" data-hex="#[0-9a-f]{6}"><span class="swatch" style="[^"]*background:#${PALETTE[k]!.map((v) => v.toString(16).padStart(2, '0')).join('')}"[^>]*></span> ${['background', 'rectangle', 'disc'][k]}</li>`), `legend entry for class ${k}`);
  t.notMatch(page.text, /data-class="0"/, 'no legend entry for the background');
  t.match(page.text, /<script src="\/extension-static\/view\/image-segmentation\/js\/app\.js" defer><\/script>/, 'the header loads the view\'s script');
  t.match(page.text, /<link rel="stylesheet" href="\/extension-static\/view\/image-segmentation\/css\/app\.css">/, 'and its stylesheet');
  const script = await fetch(`${base}/extension-static/view/image-segmentation/js/app.js`);
  t.equal(script.status, 200);
  t.match(script.headers.get('content-type'), /^text\/javascript/);
  t.match(await script.text(), /segmentation-legend/);
  t.equal((await fetch(`${base}/extension-static/view/image-segmentation/css/app.css`)).status, 200);
  for (const other of ['view/image-gradients/js/app.js', 'data/image-segmentation/js/app.js', 'view/image-segmentation/js/..%2F..%2F..%2Fsrc%2Fserver.ts']) {
    t.equal((await fetch(`${base}/extension-static/${other}`)).status, 404, `${other}: no such static file`);
  }
  const paired = await post('/models/images/generic/infer_one', { job_id: modelId, view_extension_id: 'image-segmentation', colormap: 'paired' }, { image_file: { name: 'probe.png', data: await rgbPng(probe.rgb) } });
  t.match(paired.text, found.includes(1) ? /background:#1f78b4/ : /background:#33a02c/, 'paired: matplotlib\'s Paired colours');
  // infer_many's page: one overlay per listed image, in a table
  await fs.writeFile(path.join(stack.dataDir, 'probe-list.png'), await rgbPng(probe.rgb));
  const many = await post('/models/images/generic/infer_many', { job_id: modelId, image_folder: stack.dataDir, view_extension_id: 'image-segmentation', colormap: 'none' }, { image_list: { name: 'list.txt', data: Buffer.from('probe-list.png\nimages/00001.png\n') } });
  t.equal(many.status, 200);
  t.equal([...many.text.matchAll(/class="segmentation-overlay"/g)].length, 2, 'two overlays');
  t.match(many.text, /<code>images\/00001\.png<\/code>/, 'keyed by path');
  const badColormap = await post('/models/images/generic/infer_one.json', { job_id: modelId, view_extension_id: 'image-segmentation', colormap: 'jet' });
  t.equal(badColormap.status, 400, 'an unknown colormap is refused');
  const config = await (await fetch(`${base}/models/view-config/image-segmentation`)).text();
  t.match(config, /<select[^>]*name="colormap"/, 'the view\'s config form has the colormap select');

  await t.test('in a browser: the model page posts the view, pointing at a class highlights it in the legend', async (t) => {
    const probeFile = path.join(stack.dataDir, 'probe.png');
    await fs.writeFile(probeFile, await rgbPng(probe.rgb));
    const browser = await launchBrowser(t);
    const tab = await browser.newPage();
    const pageErrors: string[] = [];
    tab.on('pageerror', (err) => pageErrors.push(err.message));
    await tab.goto(`${base}/models/${modelId}`);
    const form = tab.locator('#infer-one');
    await form.getByLabel('Visualization').selectOption('image-segmentation');
    await form.locator('[name="colormap"]').waitFor();
    await form.locator('input[type="file"][name="image_file"]').setInputFiles(probeFile);
    await Promise.all([tab.waitForURL(/infer_one$/), form.getByRole('button', { name: 'Infer one' }).click()]);
    t.equal(await tab.locator('.segmentation-legend li').count(), found.length, 'one legend entry per class found');
    // point at a pixel of the first class found, in the middle of its own 3×3 block (not an edge)
    const k = found[0]!;
    const p = argmax.findIndex((c, i) => c === k && [-1, 0, 1].every((dy) => [-1, 0, 1].every((dx) => argmax[i + dy * SIZE + dx] === k)));
    const box = (await tab.locator('.segmentation-view svg').boundingBox())!;
    await tab.locator('.segmentation-view[data-ready="true"]').waitFor();
    await tab.mouse.move(box.x + ((p % SIZE) + 0.5) * (box.width / SIZE), box.y + (Math.floor(p / SIZE) + 0.5) * (box.height / SIZE));
    await tab.locator(`.segmentation-legend li[data-class="${k}"].highlight`).waitFor({ timeout: 5000 });
    t.equal(await tab.locator('.segmentation-legend li.highlight').count(), 1, `class ${k} is highlighted, alone`);
    t.same(serious(await axeViolations(tab)), [], 'result page: no serious accessibility violations');
    t.same(pageErrors, [], 'no script errors');
  });
});
