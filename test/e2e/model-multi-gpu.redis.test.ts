// One LeNet job across two GPUs: a webgpu worker given two (CUDA_VISIBLE_DEVICES=0,1; here two
// Dawn devices on Mesa's lavapipe, one per thread) takes a job that asks for 2 GPUs on its own
// queue and trains it data-parallel; the model JSON and page name both GPUs. Asking for more GPUs
// than any worker has is a 400 on select_gpu_count (DIGITS: 1..the configured GPUs).
// That the two devices give the losses of one is test/ml/webgpu-multi-device.test.ts's.
import path from 'node:path';
import t from 'tap';
import { writeMnistPngs } from '../../scripts/mnist.ts';
import { createDataset } from '../helpers/datasets.ts';
import { listWorkers, login, multipart, startStack, waitForStatus } from '../helpers/stack.ts';
import { lavapipeEnv } from '../helpers/webgpu.ts';

let unavailable: string | null = null;
try {
  Object.assign(process.env, lavapipeEnv());
} catch (err) {
  unavailable = (err as Error).message;
}

t.test('a job asking for two GPUs trains across both on one worker', { skip: unavailable ? `webgpu is unavailable: ${unavailable}` : false }, async (t) => {
  const stack = await startStack(t, { env: { TF_BACKEND: 'webgpu', CUDA_VISIBLE_DEVICES: '0,1' } });
  const [worker] = await listWorkers(stack);
  t.same(worker!.gpus.map((g) => g.index), [0, 1], 'the worker advertises its two GPUs');
  const mnist = path.join(stack.dataDir, 'mnist');
  await writeMnistPngs(mnist, { splits: ['train'], perClass: 20 });
  const cookie = await login(stack.app, 'alice');
  const ds = (await createDataset(stack.app, cookie, { dataset_name: 'mnist', folder_train: path.join(mnist, 'train'), resize_channels: '1', resize_width: '28', resize_height: '28' })).json() as { id: string };
  t.equal(await waitForStatus(stack.app, ds.id), 'Done');
  const post = (fields: Record<string, string>) => {
    const body = multipart({ model_name: 'lenet-2gpu', dataset: ds.id, framework: 'tensorflow', method: 'standard', standard_networks: 'lenet', train_epochs: '1', random_seed: '3', ...fields });
    return stack.app.inject({ method: 'POST', url: '/models/images/classification.json', payload: body.payload, headers: { ...body.headers, cookie } });
  };

  const tooMany = await post({ select_gpu_count: '3' });
  t.equal(tooMany.statusCode, 400);
  t.match(tooMany.json(), { code: 'VALIDATION_FAILED', errors: { select_gpu_count: ['Number must be between 1 and 2.'] } }, 'no worker has 3 GPUs');
  const missing = await post({ select_gpus_list: '0,2' });
  t.match(missing.json(), { code: 'VALIDATION_FAILED', errors: { select_gpus: [/No live training worker has GPUs 0, 2/] } }, 'named GPUs must all be on one worker');

  const res = await post({ select_gpu_count: '2' });
  t.equal(res.statusCode, 200, res.body);
  const id = (res.json() as { id: string }).id;
  t.equal(await waitForStatus(stack.app, id, 300_000), 'Done');
  t.equal((await stack.app.services.store.get(id))!.queueJob!.queue, worker!.trainQueue, 'placed on the two-GPU worker\'s own queue');
  const model = (await stack.app.inject(`/models/${id}.json`)).json() as { 'tfjs backend': string; gpus: { index: number; name: string; device?: string }[] };
  t.equal(model['tfjs backend'], 'webgpu');
  t.same(model.gpus.map((g) => g.index), [0, 1], 'the model JSON names the two GPUs it trained on');
  model.gpus.forEach((g) => t.match(g.device, /\S/, `GPU ${g.index} ran a device (${g.device})`));
  t.equal((await stack.app.services.store.get(id))!.model!.replicas, 2, 'two threads shared each batch');
  const page = (await stack.app.inject({ url: `/models/${id}`, headers: { cookie } })).body;
  t.match(page, /<th scope="row">GPUs<\/th><td>0 \([^)]+\), 1 \([^)]+\), data-parallel<\/td>/, 'the model page names them');
});
