// The walkthrough's LeNet on the native TensorFlow engine (`npm run engine -- tensorflow`): a
// worker process started with TF_BACKEND=tensorflow names the TensorFlow library in its start-up
// line and /workers.json, trains LeNet on an MNIST subset, the model JSON says what it ran on, and
// a wasm worker classifies with that model as the tensorflow worker did. Skipped, saying why,
// where the engine is not installed.
import fs from 'node:fs/promises';
import path from 'node:path';
import t from 'tap';
import { writeMnistPngs } from '../../scripts/mnist.ts';
import { createDataset } from '../helpers/datasets.ts';
import { tensorflowEngineMissing } from '../helpers/engines.ts';
import { startWorkerProcess, waitForOutput } from '../helpers/processes.ts';
import { classifyOne, listWorkers, login, multipart, startStack, waitForStatus } from '../helpers/stack.ts';



t.test('LeNet trains on native TensorFlow and classifies as it does on wasm', { skip: tensorflowEngineMissing() ?? false }, async (t) => {
  const stack = await startStack(t, { worker: false });
  const mnistDir = path.join(stack.dataDir, 'mnist');
  await writeMnistPngs(mnistDir, { splits: ['train', 'test'], perClass: 60 });
  const native = await startWorkerProcess(t, { ...stack.env, TF_BACKEND: 'tensorflow', TF_CPP_MIN_LOG_LEVEL: '2' });
  await waitForOutput(native, 'GPU check:');
  const version = /"tensorflow":"(2\.\d+\.\d+)"/.exec(native.output())?.[1];
  t.ok(version, `the start-up line names TensorFlow ${version}`);
  t.match(native.output(), `GPU check: TF_BACKEND=tensorflow: training on the CPU with native TensorFlow ${version} (@tensorflow/tfjs-node)`);
  t.match((await listWorkers(stack)).find((w) => w.pid === native.pid), { backend: { name: 'tensorflow', package: /^@tensorflow\/tfjs-node(-gpu)?$/, tensorflow: version } }, '/workers.json names it');

  const cookie = await login(stack.app, 'alice');
  const ds = await createDataset(stack.app, cookie, { dataset_name: 'mnist', folder_train: path.join(mnistDir, 'train'), resize_channels: '1', resize_width: '28', resize_height: '28' });
  t.equal(ds.statusCode, 200, ds.body);
  const body = multipart({
    model_name: 'lenet-tensorflow', dataset: (ds.json() as { id: string }).id, method: 'standard', standard_networks: 'lenet', framework: 'tensorflow',
    shuffle: 'true', train_epochs: '2', random_seed: '11', lr_policy: 'fixed', learning_rate: '0.01',
  });
  const res = await stack.app.inject({ method: 'POST', url: '/models/images/classification.json', payload: body.payload, headers: { ...body.headers, cookie } });
  t.equal(res.statusCode, 200, res.body);
  const id = (res.json() as { id: string }).id;
  t.equal(await waitForStatus(stack.app, id, 300_000), 'Done', 'trained');
  const json = (await stack.app.inject(`/models/${id}.json`)).json() as Record<string, unknown>;
  t.match(json, { engine: `TensorFlow.js (tensorflow backend, TensorFlow ${version})`, 'tfjs backend': 'tensorflow', 'tensorflow version': version }, 'the model JSON names the engine and TensorFlow');
  const training = (await stack.app.inject(`/models/${id}/training.json`)).json() as { val_outputs: { accuracy: { values: number[] } } };
  const accuracy = training.val_outputs.accuracy.values.at(-1)!;
  t.ok(accuracy > 0.7, `val accuracy ${accuracy} after 2 epochs of ${600 * 0.75} images`);

  const seven = path.join(mnistDir, 'test', '7', (await fs.readdir(path.join(mnistDir, 'test', '7')))[0]!);
  const onTensorflow = await classifyOne(stack, id, seven);
  t.equal(onTensorflow.length, 5, 'classify_one answers the top 5 from the tensorflow worker');
  native.child.kill('SIGTERM');
  await native.exited;
  await startWorkerProcess(t, { ...stack.env, TF_BACKEND: 'wasm', TRAIN_THREADS: '1' });
  const onWasm = await classifyOne(stack, id, seven);
  t.same(onWasm.map((p) => p[0]), onTensorflow.map((p) => p[0]), 'the wasm worker ranks the same top 5');
  onWasm.forEach((p, i) => t.ok(Math.abs(p[1] - onTensorflow[i]![1]) <= 0.05, `${p[0]}: wasm ${p[1]} % vs tensorflow ${onTensorflow[i]![1]} %`));
});
