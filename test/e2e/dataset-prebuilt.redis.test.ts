// Prebuilt-LMDB datasets (§7.4): LMDBs inside DATA_ROOTS analysed where they are (entry count,
// shape), usable by generic models; paths outside the roots refused.
import fs from 'node:fs/promises';
import path from 'node:path';
import t from 'tap';
import { login, multipart, startStack, waitForStatus } from '../helpers/stack.ts';

const REGRESSION = JSON.stringify({
  class_name: 'Sequential',
  config: { name: 'r', layers: [
    { class_name: 'Flatten', config: { name: 'flatten', batch_input_shape: [null, 16, 16, 1] } },
    { class_name: 'Dense', config: { name: 'slopes', units: 2 } },
  ] },
});

t.test('prebuilt LMDB dataset', async (t) => {
  const stack = await startStack(t);
  const cookie = await login(stack.app, 'alice');
  const post = (url: string, fields: Record<string, string>) => {
    const body = multipart(fields);
    return stack.app.inject({ method: 'POST', url, payload: body.payload, headers: { ...body.headers, cookie } });
  };
  // LMDBs as a user would have them: here, an image-gradients build copied into the data root
  const built = (await post('/datasets/generic/create/image-gradients.json', { dataset_name: 'g', train_image_count: '300', val_image_count: '60', image_width: '16', image_height: '16' })).json() as { id: string };
  t.equal(await waitForStatus(stack.app, built.id), 'Done');
  const dbs = path.join(stack.dataDir, 'dbs');
  for (const stage of ['train_db', 'val_db']) await fs.cp(path.join(stack.jobsDir, built.id, stage), path.join(dbs, stage), { recursive: true });
  await fs.copyFile(path.join(stack.jobsDir, built.id, 'mean.binaryproto'), path.join(dbs, 'mean.binaryproto'));

  const created = await post('/datasets/images/generic.json', {
    dataset_name: 'prebuilt', method: 'prebuilt',
    prebuilt_train_images: path.join(dbs, 'train_db/features'), prebuilt_train_labels: path.join(dbs, 'train_db/labels'),
    prebuilt_val_images: path.join(dbs, 'val_db/features'), prebuilt_val_labels: path.join(dbs, 'val_db/labels'),
    prebuilt_mean_file: path.join(dbs, 'mean.binaryproto'),
  });
  t.equal(created.statusCode, 200, created.body);
  const id = (created.json() as { id: string }).id;
  t.same(Object.keys(created.json()), ['id', 'name', 'status'], 'base keys only');
  t.equal(await waitForStatus(stack.app, id), 'Done');
  t.match((await stack.app.inject(`/datasets/${id}/status`)).json(), { type: 'Generic Image Dataset' });
  const detail = (await stack.app.inject(`/datasets/${id}.json`)).json() as { analyze_db_tasks: { name: string; entries: number; shape: string }[] };
  t.same(detail.analyze_db_tasks.map((task) => [task.name, task.entries, task.shape]), [
    ['Analyze DB (train_images)', 300, '16x16x1'], ['Analyze DB (train_labels)', 300, '2x1x1'],
    ['Analyze DB (val_images)', 60, '16x16x1'], ['Analyze DB (val_labels)', 60, '2x1x1'],
  ]);

  // a generic model trains on it and regresses the label vectors
  const model = await post('/models/images/generic.json', { model_name: 'on-prebuilt', dataset: id, framework: 'tensorflow', method: 'custom', custom_network: REGRESSION, train_epochs: '2', solver_type: 'ADAM', learning_rate: '0.001', lr_policy: 'fixed' });
  t.equal(model.statusCode, 200, model.body);
  const modelId = (model.json() as { id: string; 'image dimensions': number[] }).id;
  t.same((model.json() as { 'image dimensions': number[] })['image dimensions'], [16, 16, 1]);
  t.equal(await waitForStatus(stack.app, modelId, 120_000), 'Done');
  const outputs = (await stack.app.inject(`/models/${modelId}/training.json`)).json() as { val_outputs: Record<string, { values: number[] }> };
  t.equal(outputs.val_outputs.loss!.values.length, 2);

  // a classification model cannot use it; the paths must exist inside DATA_ROOTS
  const wrongKind = await post('/models/images/classification.json', { model_name: 'x', dataset: id, framework: 'tensorflow', method: 'standard', standard_networks: 'lenet' });
  t.match(wrongKind.json(), { errors: { dataset: ['Not a valid choice'] } });
  const outside = await post('/datasets/images/generic.json', { dataset_name: 'x', prebuilt_train_images: path.join(stack.jobsDir, built.id, 'train_db/features') });
  t.equal(outside.statusCode, 400);
  t.match(outside.json(), { code: 'PATH_NOT_ALLOWED' });
  const missing = await post('/datasets/images/generic.json', { dataset_name: 'x' });
  t.match(missing.json(), { errors: { prebuilt_train_images: ['This field is required.'] } });
  const absent = await post('/datasets/images/generic.json', { dataset_name: 'x', prebuilt_train_images: path.join(dbs, 'nope') });
  t.match(absent.json(), { errors: { prebuilt_train_images: ['Folder does not exist'] } });
});
