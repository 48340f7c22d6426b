// Cloning through the create POSTs with a real worker (contract §1.5): a cloned dataset builds the
// same DBs under the source's name, and a clone of a finished LeNet trains the same job: its
// /models/<id>.json equals the source's but for id, job id, directory and creation time, while
// what the runs measured (progress, epoch, images/s, the series) is under /models/<id>/training.json.
import path from 'node:path';
import t from 'tap';
import { writeMnistPngs } from '../../scripts/mnist.ts';
import { createDataset } from '../helpers/datasets.ts';
import { login, multipart, startStack, waitForStatus } from '../helpers/stack.ts';

type Json = Record<string, unknown>;

/** `json` without the keys that name the job rather than describe it. */
const described = (json: Json, keys: string[]) => Object.fromEntries(Object.entries(json).filter(([k]) => !keys.includes(k)));

t.test('a cloned dataset and a cloned LeNet are their sources again', async (t) => {
  const stack = await startStack(t);
  const mnist = path.join(stack.dataDir, 'mnist');
  // 200 digits, one epoch: enough for every figure of a real run, small enough to run twice
  await writeMnistPngs(mnist, { splits: ['train'], perClass: 20 });
  const cookie = await login(stack.app, 'alice');
  const post = (url: string, fields: Record<string, string>) => {
    const body = multipart(fields);
    return stack.app.inject({ method: 'POST', url, payload: body.payload, headers: { ...body.headers, cookie } });
  };

  const source = await createDataset(stack.app, cookie, { dataset_name: 'mnist-200', folder_train: path.join(mnist, 'train'), resize_channels: '1', resize_width: '28', resize_height: '28', folder_pct_val: '20' });
  t.equal(source.statusCode, 200, source.body);
  const sourceId = (source.json() as { id: string }).id;
  const copy = await post('/datasets/images/classification.json', { clone: sourceId, dataset_name: 'renamed', resize_width: '32', folder_pct_val: '50' });
  t.equal(copy.statusCode, 200, copy.body);
  const copyId = (copy.json() as { id: string }).id;
  t.equal(await waitForStatus(stack.app, sourceId, 120_000), 'Done');
  t.equal(await waitForStatus(stack.app, copyId, 120_000), 'Done');
  const datasetJson = async (id: string) => (await stack.app.inject(`/datasets/${id}.json`)).json() as Json;
  const [sourceDataset, copyDataset] = [await datasetJson(sourceId), await datasetJson(copyId)];
  t.match(copyDataset, { name: 'mnist-200', ParseFolderTasks: [{ train_count: 160, val_count: 40 }], CreateDbTasks: [{ image_width: 28, image_height: 28, image_channels: 1 }] });
  t.same(described(copyDataset, ['id', 'directory']), described(sourceDataset, ['id', 'directory']), 'the clone built the same dataset under the source\'s name');

  const model = await post('/models/images/classification.json', {
    model_name: 'lenet-1', dataset: sourceId, framework: 'tensorflow', method: 'standard', standard_networks: 'lenet', train_epochs: '1', batch_size: '32', learning_rate: '0.02', shuffle: 'true',
  });
  t.equal(model.statusCode, 200, model.body);
  const modelId = (model.json() as { id: string }).id;
  t.equal(await waitForStatus(stack.app, modelId, 240_000), 'Done');
  // only the query names the source: every setting, the name and the dataset come from it
  const clone = await post(`/models/images/classification.json?clone=${modelId}`, { model_name: 'ignored', train_epochs: '5' });
  t.equal(clone.statusCode, 200, clone.body);
  const cloneId = (clone.json() as { id: string }).id;
  t.equal(await waitForStatus(stack.app, cloneId, 240_000), 'Done');

  const modelJson = async (id: string) => (await stack.app.inject(`/models/${id}.json`)).json() as Json;
  const [sourceModel, cloneModel] = [await modelJson(modelId), await modelJson(cloneId)];
  t.match(cloneModel, { id: cloneId, 'job id': cloneId, name: 'lenet-1', status: 'Done', dataset_id: sourceId, 'snapshot file': 'snapshot_1', snapshots: [1], directory: path.join(stack.jobsDir, cloneId) });
  const naming = ['id', 'job id', 'directory', 'creation time'];
  t.same(described(cloneModel, naming), described(sourceModel, naming), 'the same job description but for id, job id, directory and creation time');

  // what each run measured is reachable under the training route, apart from the description
  for (const id of [modelId, cloneId]) {
    const training = (await stack.app.inject(`/models/${id}/training.json`)).json() as { progress: number; epoch: number; 'images per second': number; val_outputs: Record<string, { values: number[] }> };
    t.match(training, { id, status: 'Done', progress: 1, epoch: 1 });
    t.ok(training['images per second'] > 0, `${id}: ${training['images per second']} images/s`);
    t.same(training.val_outputs.epoch!.values, [1], 'validated once');
  }
  t.equal((await stack.app.inject(`/models/${sourceId}/training.json`)).statusCode, 404, 'a dataset has no training route');
});
