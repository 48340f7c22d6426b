// The walkthrough's LeNet on the webgpu engine (Mesa's lavapipe here, the same code a GPU runs):
// a worker started with TF_BACKEND=webgpu trains it on an MNIST subset, answers classify_one, and
// reports webgpu and its adapter in /workers.json and the model JSON; a worker on `auto` passes
// over the software adapter (and says why), runs wasm and classifies with that model as the
// webgpu worker did. With LAVAPIPE=0 it runs on the machine's GPU and compares with a wasm worker.
import fs from 'node:fs/promises';
import path from 'node:path';
import t, { type Test } from 'tap';
import { writeMnistPngs } from '../../scripts/mnist.ts';
import { createDataset } from '../helpers/datasets.ts';
import { tensorflowEngineMissing } from '../helpers/engines.ts';
import { startWorkerProcess } from '../helpers/processes.ts';
import { classifyOne, listWorkers, login, multipart, startStack, waitForStatus, type Stack } from '../helpers/stack.ts';
import { lavapipeEnv, onLavapipe, useLavapipe } from '../helpers/webgpu.ts';

useLavapipe();

type ModelJson = Record<string, unknown> & { val_outputs: Record<string, { values: (number | null)[] }> };

async function trainLenet(t: Test, stack: Stack, cookie: string, name: string, datasetId: string): Promise<ModelJson> {
  const body = multipart({
    model_name: name, dataset: datasetId, method: 'standard', standard_networks: 'lenet', framework: 'tensorflow',
    shuffle: 'true', train_epochs: '2', random_seed: '11', lr_policy: 'fixed', learning_rate: '0.01',
  });
  const res = await stack.app.inject({ method: 'POST', url: '/models/images/classification.json', payload: body.payload, headers: { ...body.headers, cookie } });
  t.equal(res.statusCode, 200, res.body);
  const id = (res.json() as { id: string }).id;
  t.equal(await waitForStatus(stack.app, id, 600_000), 'Done', `${name} trained`);
  // the description, with the series measured while it trained (under training.json)
  const training = (await stack.app.inject(`/models/${id}/training.json`)).json() as Pick<ModelJson, 'val_outputs'>;
  return { ...((await stack.app.inject(`/models/${id}.json`)).json() as Record<string, unknown>), val_outputs: training.val_outputs };
}



t.test('LeNet trains on webgpu and classifies as it does on wasm', async (t) => {
  const stack = await startStack(t, { env: { TF_BACKEND: 'webgpu' } });
  const mnistDir = path.join(stack.dataDir, 'mnist');
  await writeMnistPngs(mnistDir, { splits: ['train', 'test'], perClass: 60 });
  const cookie = await login(stack.app, 'alice');
  const ds = await createDataset(stack.app, cookie, { dataset_name: 'mnist', folder_train: path.join(mnistDir, 'train'), resize_channels: '1', resize_width: '28', resize_height: '28' });
  t.equal(ds.statusCode, 200, ds.body);
  const datasetId = (ds.json() as { id: string }).id;

  const [gpuWorker] = await listWorkers(stack);
  const adapter = gpuWorker?.backend?.adapter;
  t.match(gpuWorker, { backend: { name: 'webgpu', package: '@tensorflow/tfjs-backend-webgpu', adapter: { software: onLavapipe } } }, '/workers.json reports webgpu and its adapter');
  if (onLavapipe) t.match(adapter, { vendor: 'mesa', device: /llvmpipe/ });

  const onGpu = await trainLenet(t, stack, cookie, 'lenet-webgpu', datasetId);
  t.match(onGpu, { 'tfjs backend': 'webgpu', 'tfjs adapter': adapter }, 'the model JSON names the engine and the adapter');
  t.equal(onGpu.gpu, `${adapter?.device} (${adapter?.description})`);
  const seven = path.join(mnistDir, 'test', '7', (await fs.readdir(path.join(mnistDir, 'test', '7')))[0]!);
  const gpuPredictions = await classifyOne(stack, onGpu.id as string, seven);
  t.equal(gpuPredictions.length, 5, 'classify_one answers the top 5 from the webgpu worker');

  // a worker left on auto sees only lavapipe, passes over it and runs wasm (native TensorFlow on
  // the CPU where `npm run engine` installed it); it answers for the model webgpu trained as the
  // webgpu worker did (that training on both engines ends with the same weights is
  // test/ml/webgpu-train.test.ts's)
  await stack.worker!.close();
  const cpuEngine = tensorflowEngineMissing() === null ? 'tensorflow' : 'wasm';
  const cpu = await startWorkerProcess(t, { ...stack.env, ...lavapipeEnv(), TF_BACKEND: onLavapipe ? 'auto' : cpuEngine, TRAIN_THREADS: '1' });
  if (onLavapipe) t.match(cpu.output(), /"webgpu":"the only adapter is software \(llvmpipe/, 'auto says why it passed over webgpu');
  const listed = await listWorkers(stack);
  t.match(listed.find((w) => w.pid === cpu.pid), { backend: { name: cpuEngine } }, `auto picks ${cpuEngine} on a machine without a GPU`);

  const accuracy = (m: ModelJson) => m.val_outputs.accuracy!.values.at(-1)!;
  t.ok(accuracy(onGpu) > 0.7, `webgpu val accuracy ${accuracy(onGpu)} after 2 epochs of ${600 * 0.75} images`);
  const cpuPredictions = await classifyOne(stack, onGpu.id as string, seven);
  t.same(cpuPredictions.map((p) => p[0]), gpuPredictions.map((p) => p[0]), `the ${cpuEngine} worker ranks the same top 5 as the webgpu worker`);
  cpuPredictions.forEach((p, i) => t.ok(Math.abs(p[1] - gpuPredictions[i]![1]) <= 0.05, `${p[0]}: ${cpuEngine} ${p[1]} % vs webgpu ${gpuPredictions[i]![1]} %`));
});
