// Faults with real processes: a training worker killed with kill -9 mid-epoch is resumed by a
// second worker from its checkpoint; SIGTERM checkpoints and requeues within SHUTDOWN_TIMEOUT_MS;
// an aborted model resumes through POST /models/<id>/resume; one metrics history throughout.
import fs from 'node:fs/promises';
import path from 'node:path';
import t, { type Test } from 'tap';
import type { JobRecord } from '@digits-ts/contracts';
import { writeMnistPngs } from '../../scripts/mnist.ts';
import { createDataset } from '../helpers/datasets.ts';
import { startWorkerProcess, type Proc } from '../helpers/processes.ts';
import { login, multipart, startStack, waitForRecord, waitForStatus, type Stack } from '../helpers/stack.ts';

const SHUTDOWN_TIMEOUT_MS = 10_000;
/** Worker processes outlive the subtest that starts them: reaped when the file ends. */
const root = t;

const stack = await startStack(t, { worker: false });
const workerEnv = {
  ...stack.env, WORKER_QUEUES: 'ingest,train', TRAIN_THREADS: '1', DATASET_THREADS: '1',
  // a dead worker's job is found stalled within about 4 + 1 s
  QUEUE_LOCK_MS: '4000', WORKER_TTL_MS: '3000', QUEUE_STALLED_CHECK_MS: '1000', CHECKPOINT_INTERVAL_MS: '0', SHUTDOWN_TIMEOUT_MS: String(SHUTDOWN_TIMEOUT_MS),
};
const alice = await login(stack.app, 'alice');
const mnistDir = path.join(stack.dataDir, 'mnist');
// 1 000 images: 16 iterations of 64 per epoch, a couple of seconds each on wasm
await writeMnistPngs(mnistDir, { splits: ['train'], perClass: 100 });
let worker: Proc = await startWorkerProcess(t, workerEnv);
const ds = await createDataset(stack.app, alice, { dataset_name: 'mnist', folder_train: path.join(mnistDir, 'train'), resize_channels: '1', resize_width: '28', resize_height: '28' });
const datasetId = (ds.json() as { id: string }).id;
t.equal(await waitForStatus(stack.app, datasetId, 120_000), 'Done');

async function createModel(stack: Stack, cookie: string, name: string, extra: Record<string, string> = {}): Promise<string> {
  const body = multipart({ ...extra, method: 'standard', standard_networks: 'lenet', framework: 'tensorflow', shuffle: 'true', lr_multistep_values: '50,85', model_name: name, dataset: datasetId, train_epochs: '3', snapshot_interval: '1', random_seed: '11' });
  const res = await stack.app.inject({ method: 'POST', url: '/models/images/classification.json', payload: body.payload, headers: { ...body.headers, cookie } });
  if (res.statusCode !== 200) throw new Error(res.body);
  return (res.json() as { id: string }).id;
}

async function record(id: string): Promise<JobRecord> {
  return (await stack.app.services.store.get(id))!;
}

/** Waits until the record satisfies `ready`, checked after each change the job store announces. */
function until(id: string, what: string, ready: (r: JobRecord) => boolean): Promise<JobRecord> {
  return waitForRecord(stack, id, what, ready, 120_000, () => worker.output().slice(-2000));
}

const workerOf = (proc: Proc) => new RegExp(`:${proc.pid}:`);

/** The training history is one series: epochs strictly increasing, validation once per epoch. */
function checkContinuous(t: Test, r: JobRecord): void {
  const epochs = r.model!.trainOutputs.epoch!.values as number[];
  t.ok(epochs.every((e, i) => i === 0 || e > epochs[i - 1]!), `train epochs strictly increase (${epochs.length} points, ${epochs[0]} … ${epochs.at(-1)})`);
  t.equal(epochs.at(-1), 3);
  t.ok(r.model!.trainOutputs.loss!.values.every((v) => typeof v === 'number'), 'a loss at every point');
  t.same(r.model!.valOutputs.epoch!.values, [1, 2, 3], 'validated once per epoch');
  t.same(r.model!.snapshots.map((s) => s.epoch), [1, 2, 3]);
  const accuracy = r.model!.valOutputs.accuracy!.values.at(-1)!;
  // it learned across the interruption (chance is 0.1); the exact figure moves with where the kill landed
  t.ok(accuracy > 0.5, `val accuracy ${accuracy}`);
}

t.test('kill -9 mid-epoch: a second worker resumes from the checkpoint and finishes Done', async (t) => {
  const id = await createModel(stack, alice, 'killed');
  await until(id, 'epoch 1.3', (r) => (r.model?.epoch ?? 0) >= 1.3 && (r.model?.snapshots.length ?? 0) === 1);
  const first = worker;
  first.child.kill('SIGKILL');
  await first.exited;
  const killedAt = (await record(id)).model!.epoch;
  t.ok(killedAt > 1 && killedAt < 2, `killed mid-epoch 2 (at epoch ${killedAt})`);
  worker = await startWorkerProcess(root, workerEnv);
  t.equal(await waitForStatus(stack.app, id, 180_000), 'Done', 'picked up and finished');
  const r = await record(id);
  t.match(r.model!.snapshots[0], { epoch: 1, worker: workerOf(first) }, 'snapshot 1 from the killed worker');
  for (const s of r.model!.snapshots.slice(1)) t.match(s, { worker: workerOf(worker) }, `snapshot ${s.epoch} from the second worker`);
  t.equal(r.model!.resumes?.length, 1);
  t.match(r.model!.resumes![0], { epoch: 1, worker: workerOf(worker) }, 'resumed from the epoch-1 checkpoint');
  checkContinuous(t, r);
  const json = (await stack.app.inject(`/models/${id}.json`)).json() as { resumes: unknown[]; snapshots: number[] };
  t.equal(json.resumes.length, 1, 'the job JSON lists the resume');
  t.same(json.snapshots, [1, 2, 3]);
});

t.test('SIGTERM: the worker checkpoints, requeues the job and exits within SHUTDOWN_TIMEOUT_MS', async (t) => {
  const id = await createModel(stack, alice, 'stopped');
  await until(id, 'epoch 0.5', (r) => (r.model?.epoch ?? 0) >= 0.5);
  const stopping = worker;
  stopping.child.kill('SIGTERM');
  const exit = await stopping.exited;
  // past SHUTDOWN_TIMEOUT_MS the worker logs 'shutdown timed out' and exits 1 (apps/worker/src/main.ts)
  t.equal(exit.code, 0, 'a clean exit, within SHUTDOWN_TIMEOUT_MS');
  t.notMatch(stopping.output(), /shutdown timed out/, 'the shutdown did not run out of time');
  const r = await record(id);
  t.equal(r.status, 'W', 'Waiting for the next worker');
  const stoppedAt = r.model!.checkpoint!;
  t.ok(stoppedAt.epoch >= 0.5 && stoppedAt.epoch < 1, `checkpointed where it stopped (epoch ${stoppedAt.epoch}), not at a snapshot`);
  t.ok((await fs.stat(path.join(stack.jobsDir, id, 'checkpoint', 'tensors.bin'))).size > 0);
  worker = await startWorkerProcess(root, workerEnv);
  t.equal(await waitForStatus(stack.app, id, 180_000), 'Done');
  const done = await record(id);
  t.match(done.model!.resumes, [{ iteration: stoppedAt.iteration, worker: workerOf(worker) }]);
  checkContinuous(t, done);
  t.ok(done.statusHistory.some(([s]) => s === 'W'), 'history shows it waiting in between');
});

t.test('POST /models/<id>/resume continues an aborted model; only its owner may', async (t) => {
  const id = await createModel(stack, alice, 'aborted');
  await until(id, 'the first snapshot', (r) => (r.model?.snapshots.length ?? 0) >= 1);
  t.equal((await stack.app.inject({ method: 'POST', url: `/models/${id}/abort`, headers: { cookie: alice } })).statusCode, 200);
  t.equal(await waitForStatus(stack.app, id, 10_000), 'Aborted');
  const aborted = await record(id);
  t.ok(aborted.model!.checkpoint!.epoch >= 1, `checkpoint kept where the abort stopped it (epoch ${aborted.model!.checkpoint!.epoch})`);
  const bob = await login(stack.app, 'bob');
  const forbidden = await stack.app.inject({ method: 'POST', url: `/models/${id}/resume`, headers: { cookie: bob, accept: 'application/json' } });
  t.equal(forbidden.statusCode, 403);
  t.match(forbidden.json(), { error: { code: 'FORBIDDEN' } });
  const res = await stack.app.inject({ method: 'POST', url: `/models/${id}/resume`, headers: { cookie: alice } });
  t.equal(res.statusCode, 200, res.body);
  t.equal(res.body, 'Job resumed.');
  t.equal(await waitForStatus(stack.app, id, 180_000), 'Done');
  const done = await record(id);
  t.match(done.model!.resumes, [{ iteration: aborted.model!.checkpoint!.iteration }]);
  checkContinuous(t, done);
  const again = await stack.app.inject({ method: 'POST', url: `/models/${id}/resume`, headers: { cookie: alice, accept: 'application/json' } });
  t.equal(again.statusCode, 409, 'a Done model has nothing to resume');
  t.match(again.json(), { error: { code: 'JOB_NOT_RESUMABLE' } });
});

t.test('kill -9 a worker that trains on its own GPU queue: a live trainer places the job again', async (t) => {
  // CUDA_VISIBLE_DEVICES names GPU 0 on this CPU host, so select_gpus=0 places the job on the own queue of one of these two
  const gpuEnv = { ...workerEnv, CUDA_VISIBLE_DEVICES: '0' };
  const pair = [await startWorkerProcess(root, gpuEnv), await startWorkerProcess(root, gpuEnv)];
  const id = await createModel(stack, alice, 'placed', { select_gpus_list: '0' });
  const onIt = await until(id, 'epoch 1.3', (r) => (r.model?.epoch ?? 0) >= 1.3 && (r.model?.snapshots.length ?? 0) === 1);
  const queue = onIt.queueJob!.queue;
  const workers = (await stack.app.inject('/workers.json')).json() as { workers: { pid: number; trainQueue: string | null }[] };
  const owner = workers.workers.find((w) => w.trainQueue === queue);
  t.ok(owner, `placed on a worker's own queue (${queue})`);
  const placed = pair.find((p) => p.pid === owner!.pid)!;
  const heir = pair.find((p) => p !== placed)!;
  placed.child.kill('SIGKILL');
  await placed.exited;
  t.equal(await waitForStatus(stack.app, id, 180_000), 'Done');
  const r = await record(id);
  t.match(r.model!.snapshots[0], { worker: workerOf(placed) });
  t.match(r.model!.resumes, [{ epoch: 1, worker: workerOf(heir) }], 'resumed on the other worker with GPU 0');
  t.not(r.queueJob!.queue, queue, 'moved off the dead worker\'s queue');
  checkContinuous(t, r);
});
