// Object detection end to end (§7.7, §10.5, §10.6), through the real gateway and worker: KITTI
// data generated with sharp (1–3 rectangles per 64×64 image), an image-object-detection dataset,
// the small DetectNet example (examples/object-detection) trained as a custom Caffe network,
// mAP / precision / recall per validation, infer_one boxes against the truth, and the Bounding
// boxes view on the pages.
import fs from 'node:fs/promises';
import path from 'node:path';
import t from 'tap';
import { iou } from '@digits-ts/ml';
import { shapeImages, writeKitti } from '../helpers/detection-shapes.ts';
import { expectModelDone, login, multipart, startStack, waitForStatus } from '../helpers/stack.ts';

const SIZE = 64;
const NETWORK = new URL('../../examples/object-detection/detectnet-small.prototxt', import.meta.url);

t.test('detection walkthrough: dataset, DetectNet, mAP per epoch, boxes from infer_one', async (t) => {
  const stack = await startStack(t);
  const cookie = await login(stack.app, 'alice');
  const post = (url: string, fields: Record<string, string>, files: Parameters<typeof multipart>[1] = {}) => {
    const body = multipart(fields, files);
    return stack.app.inject({ method: 'POST', url, payload: body.payload, headers: { ...body.headers, cookie } });
  };
  const root = path.join(stack.dataDir, 'shapes');
  await writeKitti(path.join(root, 'train'), shapeImages(400, SIZE, 1), SIZE);
  await writeKitti(path.join(root, 'val'), shapeImages(80, SIZE, 2), SIZE);
  const heldOut = shapeImages(12, SIZE, 3);
  const heldOutFiles = await writeKitti(path.join(root, 'test'), heldOut, SIZE);

  const fields = {
    dataset_name: 'shapes', train_image_folder: path.join(root, 'train/images'), train_label_folder: path.join(root, 'train/labels'),
    val_image_folder: path.join(root, 'val/images'), val_label_folder: path.join(root, 'val/labels'),
    padding_image_width: '', padding_image_height: '', val_min_box_size: '8',
  };
  const blank = await post('/datasets/generic/create/image-object-detection.json', { ...fields, val_min_box_size: '' });
  t.equal(blank.statusCode, 400);
  t.match(blank.json(), { errors: { val_min_box_size: ['This field is required.'] } });
  const missing = await post('/datasets/generic/create/image-object-detection.json', { ...fields, val_label_folder: path.join(root, 'nowhere') });
  t.equal(missing.statusCode, 400);
  t.match(missing.json(), { errors: { val_label_folder: ['Folder does not exist or is not reachable'] } });
  const created = await post('/datasets/generic/create/image-object-detection.json', fields);
  t.equal(created.statusCode, 200, created.body);
  const datasetId = (created.json() as { id: string }).id;
  t.equal(await waitForStatus(stack.app, datasetId, 120_000), 'Done');
  const dataset = (await stack.app.inject(`/datasets/${datasetId}.json`)).json() as { feature_dims: number[]; create_db_tasks: { stage: string; entry_count: number; label_db_path: string | null }[] };
  t.same(dataset.feature_dims, [SIZE, SIZE, 3]);
  t.same(dataset.create_db_tasks.map((x) => [x.stage, x.entry_count, x.label_db_path]), [['train_db', 400, 'train_db/labels'], ['val_db', 80, 'val_db/labels'], ['test_db', 0, null]]);

  const model = await post('/models/images/generic.json', {
    model_name: 'detectnet', dataset: datasetId, framework: 'caffe', method: 'custom', custom_network: await fs.readFile(NETWORK, 'utf8'),
    train_epochs: '15', val_interval: '3', solver_type: 'ADAM', learning_rate: '0.001', lr_policy: 'fixed', batch_size: '16', random_seed: '5', use_mean: 'none',
  });
  t.equal(model.statusCode, 200, model.body);
  const modelId = (model.json() as { id: string }).id;
  await expectModelDone(t, stack.app, modelId, 240_000);
  const detail = (await stack.app.inject(`/models/${modelId}/training.json`)).json() as { val_outputs: Record<string, { kind: string; values: (number | null)[] }> };
  t.same(Object.keys(detail.val_outputs).sort(), ['epoch', 'loss_bbox', 'loss_coverage', 'mAP', 'precision', 'recall']);
  t.equal(detail.val_outputs.mAP!.kind, 'ScoreDetections');
  const mAP = detail.val_outputs.mAP!.values.filter((v): v is number => v !== null);
  t.equal(mAP.length, 5, 'one mAP per validation (every 3 of 15 epochs)');
  t.comment(`val mAP per validation: ${mAP.map((v) => v.toFixed(1)).join(', ')}; precision ${detail.val_outputs.precision!.values.at(-1)?.toFixed(1)}, recall ${detail.val_outputs.recall!.values.at(-1)?.toFixed(1)}`);
  t.ok(mAP.at(-1)! > 50, `final val mAP ${mAP.at(-1)!.toFixed(1)} % above 50 % (IoU 0.7 matches)`);

  // infer_one: the box list per image, [left, top, right, bottom, confidence], with the batch dimension
  let found = 0;
  let truths = 0;
  for (const [i, file] of heldOutFiles.entries()) {
    const one = await post('/models/images/generic/infer_one.json', { job_id: modelId }, { image_file: { filename: path.basename(file), data: await fs.readFile(file) } });
    t.equal(one.statusCode, 200, one.body);
    const outputs = (one.json() as { outputs: Record<string, number[][][]> }).outputs;
    t.same(Object.keys(outputs), ['bbox-list']);
    const boxes = outputs['bbox-list']![0]!;
    t.ok(boxes.every((b) => b.length === 5 && b[4]! > 0), 'rows of five with positive confidence');
    truths += heldOut[i]!.boxes.length;
    found += heldOut[i]!.boxes.filter((truth) => boxes.some((b) => iou(b, truth) >= 0.5)).length;
  }
  t.ok(found / truths > 0.7, `${found} of ${truths} held-out objects have a box within IoU 0.5`);

  // the Bounding boxes view: header, a canvas per input with its boxes, a legend
  const page = await post('/models/images/generic/infer_one', { job_id: modelId, view_extension_id: 'image-bounding-boxes' }, { image_file: { filename: 'x.png', data: await fs.readFile(heldOutFiles[0]!) } });
  t.equal(page.statusCode, 200, page.body.slice(0, 300));
  const [, n] = /<p class="view-header">Found (\d+) bounding box(?:es)?\.<\/p>/.exec(page.body) ?? [];
  t.ok(n !== undefined, 'the header, without "in … images" for one input');
  const groups = JSON.parse(/<figure class="bbox-view" data-boxes="([^"]*)"/.exec(page.body)![1]!.replaceAll('&quot;', '"')) as { name: string; boxes: number[][] }[];
  t.same(groups.map((g) => g.name), ['bbox-list']);
  t.equal(groups[0]!.boxes.length, Number(n));
  t.match(page.body, /<canvas width="64" height="64"/);
  t.match(page.body, /class="bbox-legend"><li><span class="swatch" style="background:#ff0000"><\/span> bbox-list/);
  t.match(page.body, /<script src="\/static\/js\/bbox-view.js"/);
  const list = { image_list: { filename: 'list.txt', data: heldOutFiles.slice(0, 3).map((f) => path.relative(path.join(root, 'test/images'), f)).join('\n') } };
  const many = await post('/models/images/generic/infer_many', { job_id: modelId, image_folder: path.join(root, 'test/images'), view_extension_id: 'image-bounding-boxes' }, list);
  t.equal(many.statusCode, 200);
  t.match(many.body, /Found \d+ bounding box(es)? in 3 images\./);
  t.equal([...many.body.matchAll(/<figure class="bbox-view"/g)].length, 3);
  const script = await stack.app.inject('/static/js/bbox-view.js');
  t.equal(script.statusCode, 200);
  const config = await stack.app.inject('/models/view-config/image-bounding-boxes');
  t.equal(config.statusCode, 200);
  t.match(config.body, /^<small>Draws the boxes of each output/);

  // the new-dataset page lists the extension's fields with DIGITS' defaults
  const form = await stack.app.inject({ url: '/datasets/generic/new/image-object-detection', headers: { cookie } });
  t.equal(form.statusCode, 200);
  t.match(form.body, /Object Detection/);
  t.match(/<input[^>]*name="padding_image_width"[^>]*>/.exec(form.body)?.[0], /value="1248"/);
  t.match(form.body, /name="val_min_box_size"/);
});
