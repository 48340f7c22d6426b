// The walkthrough's model part through the real stack: LeNet on an MNIST subset — waiting on its
// dataset, training, §5.4 JSON, snapshots on disk, fine-tuning from them, abort.
import fs from 'node:fs/promises';
import path from 'node:path';
import t from 'tap';
import { loadModel, tf } from '@digits-ts/ml';
import { writeMnistPngs } from '../../scripts/mnist.ts';
import { createDataset } from '../helpers/datasets.ts';
import { login, multipart, startStack, waitForRecord, waitForStatus, type Stack } from '../helpers/stack.ts';

const PER_CLASS = 200;

async function createModel(stack: Stack, cookie: string, fields: Record<string, string>) {
  const body = multipart({ method: 'standard', standard_networks: 'lenet', framework: 'tensorflow', shuffle: 'true', lr_multistep_values: '50,85', ...fields });
  return stack.app.inject({ method: 'POST', url: '/models/images/classification.json', payload: body.payload, headers: { ...body.headers, cookie } });
}

type ModelJson = Record<string, unknown> & { snapshots: number[] };
type Series = Record<string, { values: (number | null)[] }>;
type TrainingJson = { id: string; status: string; progress: number; epoch: number; 'images per second': number | null; val_outputs: Series; train_outputs: Series };

t.test('LeNet trains on an MNIST subset through the REST API', async (t) => {
  const stack = await startStack(t);
  const mnistDir = path.join(stack.dataDir, 'mnist');
  await writeMnistPngs(mnistDir, { splits: ['train'], perClass: PER_CLASS });
  const cookie = await login(stack.app, 'alice');
  const tensorsBefore = tf.memory().numTensors;

  const ds = await createDataset(stack.app, cookie, { dataset_name: 'mnist', folder_train: path.join(mnistDir, 'train'), resize_channels: '1', resize_width: '28', resize_height: '28' });
  t.equal(ds.statusCode, 200, ds.body);
  const datasetId = (ds.json() as { id: string }).id;

  // created at once, while the dataset may still be building: it waits, then trains
  const res = await createModel(stack, cookie, { model_name: 'lenet-mnist', dataset: datasetId, train_epochs: '5', random_seed: '7' });
  t.equal(res.statusCode, 200, res.body);
  const created = res.json() as Record<string, unknown>;
  t.match(created, { name: 'lenet-mnist', dataset_id: datasetId, username: 'alice', framework: 'tensorflow', 'snapshot file': 'no snapshots', 'mean file': 'mean.binaryproto', 'digits version': '6.1.1' });
  t.ok(['Waiting', 'Initialized'].includes(created.status as string), `status ${String(created.status)}`);
  t.equal(created['job id'], created.id);
  t.match(created['creation time'], /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}$/);
  const id = created.id as string;

  t.equal(await waitForStatus(stack.app, id, 240_000), 'Done');
  const json = (await stack.app.inject(`/models/${id}.json`)).json() as ModelJson;
  t.same(json.snapshots, [1, 2, 3, 4, 5]);
  t.match(json, { 'snapshot file': 'snapshot_5', 'image dimensions': [28, 28, 1], 'image resize mode': 'squash', 'labels file': 'labels.txt', 'mean subtraction': 'image', 'tfjs backend': 'wasm', directory: path.join(stack.jobsDir, id) });
  t.match(json['tfjs version'], /^\d+\.\d+\.\d+$/);
  // what the run measured is apart from the job's description
  for (const key of ['progress', 'epoch', 'images per second', 'train_outputs', 'val_outputs']) t.notOk(key in json, `${key} is not in the model JSON`);
  const training = (await stack.app.inject(`/models/${id}/training.json`)).json() as TrainingJson;
  t.match(training, { id, status: 'Done', progress: 1, epoch: 5 });
  t.ok(training['images per second']! > 0, `${training['images per second']} images/s`);
  const accuracy = training.val_outputs.accuracy!.values;
  const valLoss = training.val_outputs.loss!.values;
  t.same(training.val_outputs.epoch!.values, [1, 2, 3, 4, 5]);
  t.ok(accuracy[4]! >= 0.9, `val accuracy after 5 epochs ${accuracy[4]} (1 500 training images)`);
  t.ok(valLoss[4]! < valLoss[0]!, `val loss falls: ${valLoss.join(', ')}`);
  const trainLoss = training.train_outputs.loss!.values.filter((v): v is number => v !== null);
  t.ok(trainLoss[trainLoss.length - 1]! < trainLoss[0]! / 3, 'train loss falls');
  t.same(training.train_outputs.learning_rate!.values.filter((v) => v !== null).slice(0, 1), [0.01]);
  t.equal(tf.memory().numTensors, tensorsBefore, 'the worker disposed every tensor of the training');

  // a snapshot is a plain TF.js layers model that classifies like the server's network
  const snapshot = path.join(stack.jobsDir, id, 'snapshot_5');
  t.same((await fs.readdir(snapshot)).sort(), ['model.json', 'weights.bin']);
  const model = await loadModel(snapshot);
  const probs = tf.tidy(() => model.predict(tf.zeros([2, 28, 28, 1])) as tf.Tensor);
  t.same(probs.shape, [2, 10]);
  t.ok(Math.abs(tf.sum(probs).dataSync()[0]! - 2) < 1e-4, 'softmax rows sum to 1');
  probs.dispose();
  model.dispose();

  const index = (await stack.app.inject('/index.json')).json() as { models: { id: string; status: string }[] };
  t.match(index.models.find((m) => m.id === id), { status: 'Done', 'snapshot file': 'snapshot_5' });

  await t.test('fine-tuning starts from the previous snapshot', async (t) => {
    const epochs = { train_epochs: '1', val_interval: '1', random_seed: '7' };
    const fresh = (await createModel(stack, cookie, { model_name: 'fresh', dataset: datasetId, ...epochs })).json() as { id: string };
    const tuned = await createModel(stack, cookie, { model_name: 'tuned', dataset: datasetId, method: 'previous', previous_networks: id, [`${id}-snapshot`]: '5', ...epochs });
    t.equal(tuned.statusCode, 200, tuned.body);
    const tunedId = (tuned.json() as { id: string }).id;
    t.equal(await waitForStatus(stack.app, fresh.id, 120_000), 'Done');
    t.equal(await waitForStatus(stack.app, tunedId, 120_000), 'Done');
    const firstLoss = async (job: string) => ((await stack.app.inject(`/models/${job}/training.json`)).json() as TrainingJson).train_outputs.loss!.values[0]!;
    const [f, u] = [await firstLoss(fresh.id), await firstLoss(tunedId)];
    t.ok(u < f / 3, `first reported loss: fine-tuned ${u} vs fresh ${f}`);

    const badEpoch = await createModel(stack, cookie, { model_name: 'bad', dataset: datasetId, method: 'previous', previous_networks: id, [`${id}-snapshot`]: '7' });
    t.equal(badEpoch.statusCode, 400);
    t.match(badEpoch.json(), { errors: { previous_networks: [/Invalid epoch 7/] }, code: 'VALIDATION_FAILED' });
  });

  await t.test('abort mid-epoch stops training there and keeps earlier snapshots', async (t) => {
    const res = await createModel(stack, cookie, { model_name: 'to-abort', dataset: datasetId, train_epochs: '30', snapshot_interval: '0.5' });
    const job = (res.json() as { id: string }).id;
    const json = async () => (await stack.app.inject(`/models/${job}.json`)).json() as ModelJson;
    const running = await waitForRecord(stack, job, 'a first snapshot', (r) => (r.model?.snapshots.length ?? 0) >= 1);
    const abort = await stack.app.inject({ method: 'POST', url: `/models/${job}/abort`, headers: { cookie } });
    t.equal(abort.statusCode, 200, abort.body);
    t.equal(await waitForStatus(stack.app, job, 60_000), 'Aborted');
    const after = await json();
    // the trainer checks the abort before every iteration: it ends within the epoch it was in, not at 30
    const stoppedAt = (await stack.app.services.store.get(job))!.model!.epoch;
    t.ok(stoppedAt < running.model!.epoch + 1, `stopped at epoch ${stoppedAt}, aborted at ${running.model!.epoch} or later`);
    t.ok(after.snapshots.length >= 1);
    for (const epoch of after.snapshots) t.ok((await fs.stat(path.join(stack.jobsDir, job, `snapshot_${epoch}`, 'model.json'))).isFile(), `snapshot_${epoch} kept`);
    t.equal(after.status, 'Aborted');
  });
});
