// A script written for DIGITS, run unchanged over real HTTP against a real worker (issue #17's
// acceptance): log in, create a classification dataset, wait for it in /completed_jobs.json, clone
// it, create a LeNet, wait, clone the model, compare the two models' JSON, download .tar.bz2.
// Cloning (§1.5): the cloned dataset builds the same DBs under the source's name, and the clone of
// a finished LeNet trains the same job: its /models/<id>.json equals the source's but for id, job
// id, directory and creation time, while what each run measured is under /models/<id>/training.json.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import t from 'tap';
import { writeMnistPngs } from '../../scripts/mnist.ts';
import { untilJob } from '../helpers/job-waits.ts';
import { startStack } from '../helpers/stack.ts';

type Json = Record<string, unknown>;
interface Row { id: string; status: string; type: string; name: string }
interface Tables { running: Row[]; datasets: Row[]; models: Row[] }

/** `json` without the keys that name the job rather than describe it. */
const described = (json: Json, keys: string[]) => Object.fromEntries(Object.entries(json).filter(([k]) => !keys.includes(k)));

t.test('a DIGITS client script: dataset, clone, model, clone, compare, download', async (t) => {
  const stack = await startStack(t);
  const base = await stack.app.listen({ port: 0, host: '127.0.0.1' });
  const mnist = path.join(stack.dataDir, 'mnist');
  // 200 digits, one epoch: enough for every figure of a real run, small enough to run twice
  await writeMnistPngs(mnist, { splits: ['train'], perClass: 20 });

  // the script's helpers: form posts with the session cookie, JSON gets
  const signIn = await fetch(`${base}/login`, { method: 'POST', body: new URLSearchParams({ username: 'alice' }), redirect: 'manual' });
  t.equal(signIn.status, 302);
  const cookie = signIn.headers.getSetCookie().find((c) => c.startsWith('username='))!.split(';')[0]!;
  const post = async (url: string, fields: Record<string, string>) => {
    const res = await fetch(`${base}${url}`, { method: 'POST', body: new URLSearchParams(fields), headers: { cookie } });
    return { status: res.status, json: (await res.json()) as Json };
  };
  const get = async (url: string) => (await fetch(`${base}${url}`)).json() as Promise<Json>;
  // the script polls the home tables until the job is listed finished; the test re-polls on each
  // change notice of the job instead of on a timer
  const completed = (id: string, list: 'datasets' | 'models') => untilJob(stack, id, async () => {
    const tables = await get('/completed_jobs.json') as unknown as Tables;
    return tables[list].find((row) => row.id === id && !tables.running.some((r) => r.id === id));
  }, { timeoutMs: 240_000, what: `row in /completed_jobs.json ${list}` });

  const source = await post('/datasets/images/classification.json', { dataset_name: 'mnist-200', folder_train: path.join(mnist, 'train'), resize_channels: '1', resize_width: '28', resize_height: '28', folder_pct_val: '20' });
  t.equal(source.status, 200, JSON.stringify(source.json));
  const sourceId = source.json.id as string;
  t.match(await completed(sourceId, 'datasets'), { id: sourceId, name: 'mnist-200', status: 'Done', type: 'dataset' });
  const copy = await post('/datasets/images/classification.json', { clone: sourceId, dataset_name: 'renamed', resize_width: '32', folder_pct_val: '50' });
  t.equal(copy.status, 200, JSON.stringify(copy.json));
  const copyId = copy.json.id as string;
  t.match(await completed(copyId, 'datasets'), { status: 'Done', name: 'mnist-200' });
  const [sourceDataset, copyDataset] = [await get(`/datasets/${sourceId}.json`), await get(`/datasets/${copyId}.json`)];
  t.match(copyDataset, { name: 'mnist-200', ParseFolderTasks: [{ train_count: 160, val_count: 40 }], CreateDbTasks: [{ image_width: 28, image_height: 28, image_channels: 1 }] });
  t.same(described(copyDataset, ['id', 'directory']), described(sourceDataset, ['id', 'directory']), 'the clone built the same dataset under the source\'s name');

  const model = await post('/models/images/classification.json', {
    model_name: 'lenet-1', dataset: sourceId, framework: 'tensorflow', method: 'standard', standard_networks: 'lenet', train_epochs: '1', batch_size: '32', learning_rate: '0.02', shuffle: 'true',
  });
  t.equal(model.status, 200, JSON.stringify(model.json));
  const modelId = model.json.id as string;
  t.match(await completed(modelId, 'models'), { status: 'Done', type: 'model' });
  // only the query names the source: every setting, the name and the dataset come from it
  const clone = await post(`/models/images/classification.json?clone=${modelId}`, { model_name: 'ignored', train_epochs: '5' });
  t.equal(clone.status, 200, JSON.stringify(clone.json));
  const cloneId = clone.json.id as string;
  t.match(await completed(cloneId, 'models'), { status: 'Done', name: 'lenet-1' });

  const [sourceModel, cloneModel] = [await get(`/models/${modelId}.json`), await get(`/models/${cloneId}.json`)];
  t.match(cloneModel, { id: cloneId, 'job id': cloneId, name: 'lenet-1', status: 'Done', dataset_id: sourceId, 'snapshot file': 'snapshot_1', snapshots: [1], directory: path.join(stack.jobsDir, cloneId) });
  const naming = ['id', 'job id', 'directory', 'creation time'];
  t.same(described(cloneModel, naming), described(sourceModel, naming), 'the same job description but for id, job id, directory and creation time');

  // what each run measured is reachable under the training route, apart from the description
  for (const id of [modelId, cloneId]) {
    const training = await get(`/models/${id}/training.json`) as { progress: number; epoch: number; 'images per second': number; val_outputs: Record<string, { values: number[] }> };
    t.match(training, { id, status: 'Done', progress: 1, epoch: 1 });
    t.ok(training['images per second'] > 0, `${id}: ${training['images per second']} images/s`);
    t.same(training.val_outputs.epoch!.values, [1], 'validated once');
  }
  t.equal((await fetch(`${base}/models/${sourceId}/training.json`)).status, 404, 'a dataset has no training route');

  // the download a script archives: bzip2'd tar, named by DIGITS' rule, unpacked by the system tar
  const download = await fetch(`${base}/models/${cloneId}/download.tar.bz2`);
  t.equal(download.status, 200);
  t.equal(download.headers.get('content-disposition'), `attachment; filename=${cloneId}_epoch_-1.tar.bz2`);
  const unpacked = path.join(stack.dataDir, 'unpacked');
  await fs.mkdir(unpacked);
  const untar = spawnSync('tar', ['-xjf', '-', '-C', unpacked], { input: Buffer.from(await download.arrayBuffer()) });
  t.equal(untar.status, 0, untar.stderr.toString());
  const info = JSON.parse(await fs.readFile(path.join(unpacked, 'info.json'), 'utf8')) as Json;
  t.match(info, { id: cloneId, name: 'lenet-1', 'snapshot file': 'snapshot_1' });
  t.ok((await fs.readdir(unpacked)).includes('labels.txt'), 'the labels travel with the model');
});
