// The worker registry (GET /workers.json): heartbeats with a TTL, two workers sharing the train
// queue (two models train at once), a stopped heartbeat dropping out within the TTL, and GPU
// requests checked against what live workers have.
import path from 'node:path';
import t from 'tap';
import { loadWorkerConfig } from '@digits-ts/config';
import { createLogger } from '@digits-ts/logger';
import type { WorkerInfo } from '@digits-ts/contracts';
import { storeKey } from '@digits-ts/queue';
import { startWorker } from '../../apps/worker/src/worker.ts';
import { writeMnistPngs } from '../../scripts/mnist.ts';
import { createDataset } from '../helpers/datasets.ts';
import { login, multipart, startStack, waitForStatus } from '../helpers/stack.ts';

const TTL_MS = 900;

t.test('workers announce themselves and share the queues', async (t) => {
  const stack = await startStack(t, { env: { WORKER_TTL_MS: String(TTL_MS), TRAIN_THREADS: '1' } });
  const workers = async () => ((await stack.app.inject('/workers.json')).json() as { workers: WorkerInfo[] }).workers;
  const first = await workers();
  t.equal(first.length, 1);
  t.match(first[0], { pid: process.pid, queues: ['ingest', 'train', 'infer'], backend: { name: 'wasm' }, gpus: [], jobs: [] });
  t.ok(first[0]!.memory.rss > 0 && first[0]!.seen >= first[0]!.started);

  // a second worker, started by hand on the same Redis and folders, given two (nominal) GPUs
  const second = await startWorker(loadWorkerConfig({ ...stack.env, WORKER_QUEUES: 'train,infer', CUDA_VISIBLE_DEVICES: '0,1' }), createLogger({ level: 'silent', name: 'w2' }));
  t.teardown(() => second.close());
  const both = await workers();
  t.equal(both.length, 2);
  const gpuWorker = both.find((w) => w.gpus.length > 0)!;
  t.same(gpuWorker.gpus.map((g) => g.index), [0, 1]);
  t.match(gpuWorker.trainQueue, /^train-[0-9a-f]{6}$/);

  const mnist = path.join(stack.dataDir, 'mnist');
  await writeMnistPngs(mnist, { splits: ['train'], perClass: 40 });
  const cookie = await login(stack.app, 'alice');
  const ds = (await createDataset(stack.app, cookie, { dataset_name: 'mnist', folder_train: path.join(mnist, 'train'), resize_channels: '1', resize_width: '28', resize_height: '28' })).json() as { id: string };
  t.equal(await waitForStatus(stack.app, ds.id), 'Done');
  const post = (fields: Record<string, string>) => {
    const body = multipart(fields);
    return stack.app.inject({ method: 'POST', url: '/models/images/classification.json', payload: body.payload, headers: { ...body.headers, cookie } });
  };
  const models = await Promise.all(['a', 'b'].map(async (name) => ((await post({ model_name: name, dataset: ds.id, framework: 'tensorflow', method: 'standard', standard_networks: 'lenet', train_epochs: '3' })).json() as { id: string }).id));
  // both run at once, one on each worker
  let together = false;
  const deadline = Date.now() + 60_000;
  while (!together && Date.now() < deadline) {
    const busy = (await workers()).flatMap((w) => w.jobs);
    together = models.every((id) => busy.includes(id));
    await new Promise((r) => setTimeout(r, 50));
  }
  t.ok(together, 'the two models ran at the same time on the two workers');
  for (const id of models) t.equal(await waitForStatus(stack.app, id, 120_000), 'Done');

  // GPUs named on the form: the job goes to the worker that has them (its own queue)
  const placed = (await post({ model_name: 'on-gpu-1', dataset: ds.id, framework: 'tensorflow', method: 'standard', standard_networks: 'lenet', train_epochs: '1', select_gpus_list: '1' })).json() as { id: string };
  t.equal(await waitForStatus(stack.app, placed.id, 120_000), 'Done');
  t.equal((await stack.app.services.store.get(placed.id))!.queueJob!.queue, gpuWorker.trainQueue, 'queued on the GPU worker\'s own queue');
  // GPUs nobody has: a 400 naming what exists
  const gpu = await post({ model_name: 'g', dataset: ds.id, framework: 'tensorflow', method: 'standard', standard_networks: 'lenet', select_gpus_list: '2' });
  t.equal(gpu.statusCode, 400);
  t.match(gpu.json(), { errors: { select_gpus: [`No live training worker has GPU 2; ${gpuWorker.host} has 0, 1`] } });

  // a stopped heartbeat (as when a worker is killed) drops out within the TTL
  second.heartbeat.pause();
  // Redis itself expires the entry: its time to live, read after the last beat, is at most the TTL
  const entry = storeKey(stack.prefix, 'workers', gpuWorker.id);
  const ttl = await stack.app.services.redis.pttl(entry);
  t.ok(ttl > 0 && ttl <= TTL_MS, `the entry expires in ${ttl} ms (TTL ${TTL_MS} ms)`);
  // no notice comes when a key expires: re-read until it is gone, bounded
  for (let i = 0; i < 200 && (await workers()).length === 2; i++) await new Promise((r) => setTimeout(r, 25));
  t.equal(await stack.app.services.redis.exists(entry), 0, 'the entry expired');
  t.equal((await workers())[0]!.id, first[0]!.id);
});
