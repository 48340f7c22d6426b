// Job lifecycle on datasets: ownership, rename, delete (also when a model uses it), abort of
// waiting and running builds, and a gateway restart on an emptied Redis.
import fs from 'node:fs/promises';
import path from 'node:path';
import t from 'tap';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { writeMnistPngs } from '../../scripts/mnist.ts';
import { createDataset } from '../helpers/datasets.ts';
import { loadWorkerConfig } from '@digits-ts/config';
import { createLogger } from '@digits-ts/logger';
import { startWorker } from '../../apps/worker/src/worker.ts';
import { dropPrefix } from '../helpers/redis.ts';
import { login, startStack, waitForRecord, waitForStatus, type Stack } from '../helpers/stack.ts';

async function mnistFolder(stack: Stack, perClass: number): Promise<string> {
  const dir = path.join(stack.dataDir, 'mnist');
  await writeMnistPngs(dir, { splits: ['train'], perClass });
  return path.join(dir, 'train');
}

const form = (folder: string, extra: Record<string, string> = {}) => ({ dataset_name: 'digits', folder_train: folder, resize_channels: '1', resize_width: '28', resize_height: '28', ...extra });

t.test('only the owner edits or deletes; others get 403; unknown ids 404', async (t) => {
  const stack = await startStack(t);
  const folder = await mnistFolder(stack, 5);
  const alice = await login(stack.app, 'alice');
  const bob = await login(stack.app, 'bob');
  const { id } = (await createDataset(stack.app, alice, form(folder))).json() as { id: string };
  t.equal(await waitForStatus(stack.app, id), 'Done');

  const rename = (cookie: string, body: string) => stack.app.inject({ method: 'PUT', url: `/jobs/${id}`, payload: body, headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' } });
  const bobRename = await rename(bob, 'job_name=mine');
  t.equal(bobRename.statusCode, 403);
  const ok = await rename(alice, 'job_name=%20renamed%20&job_notes=hello');
  t.equal(ok.statusCode, 200);
  t.equal(ok.body, 'Image Classification Dataset updated.');
  t.equal((await stack.app.inject(`/datasets/${id}.json`)).json().name, 'renamed');
  t.equal((await rename(alice, 'job_name=%20')).statusCode, 400, 'blank name refused');

  const bobDelete = await stack.app.inject({ method: 'DELETE', url: `/datasets/${id}.json`, headers: { cookie: bob } });
  t.equal(bobDelete.statusCode, 403);
  t.match(bobDelete.json(), { error: { type: 'Forbidden', code: 'FORBIDDEN' } });
  const anonDelete = await stack.app.inject({ method: 'DELETE', url: `/datasets/${id}` });
  t.equal(anonDelete.statusCode, 401);
  const unknown = await stack.app.inject({ method: 'DELETE', url: '/datasets/20200101-000000-abcd.json', headers: { cookie: alice } });
  t.equal(unknown.statusCode, 404);
  t.match(unknown.json(), { error: { description: 'Job not found', code: 'JOB_NOT_FOUND' } });
  t.same((await stack.app.inject('/jobs/20200101-000000-abcd/status')).json(), { error: 'Job not found.' });

  const redirect = await stack.app.inject(`/jobs/${id}`);
  t.equal(redirect.statusCode, 302);
  t.equal(redirect.headers.location, `/datasets/${id}`);

  const del = await stack.app.inject({ method: 'DELETE', url: `/datasets/${id}`, headers: { cookie: alice } });
  t.equal(del.statusCode, 200);
  t.equal(del.body, 'Job deleted.');
  await t.rejects(fs.stat(path.join(stack.jobsDir, id)), 'the folder is gone');
  t.same((await stack.app.inject('/index.json')).json().datasets, []);
  t.equal((await stack.app.inject(`/datasets/${id}.json`)).statusCode, 404);
});

t.test('a dataset used by models cannot be deleted (DIGITS message, 403)', async (t) => {
  const stack = await startStack(t);
  const folder = await mnistFolder(stack, 3);
  const alice = await login(stack.app, 'alice');
  const { id } = (await createDataset(stack.app, alice, form(folder))).json() as { id: string };
  t.equal(await waitForStatus(stack.app, id), 'Done');
  // model jobs arrive with the training issue; their records go through the same store
  const store = stack.app.services.store;
  for (const name of ['lenet-a', 'lenet-b']) {
    const modelId = await store.reserveId();
    const now = Date.now() / 1000;
    await store.create({ v: 1, rev: 0, id: modelId, kind: 'model', type: 'Image Classification Model', name, group: '', username: 'alice', notes: null, created: now, status: 'D', statusHistory: [['D', now]], progress: 1, error: null, form: {}, queueJob: null, datasetId: id, dataset: null, params: {} });
  }
  const res = await stack.app.inject({ method: 'DELETE', url: `/datasets/${id}.json`, headers: { cookie: alice } });
  t.equal(res.statusCode, 403);
  t.match(res.json(), { error: { message: '403: Forbidden', description: 'Cannot delete "digits" because 2 models depend on it: "lenet-b", "lenet-a"', code: 'JOB_IN_USE' } });
  t.ok((await fs.stat(path.join(stack.jobsDir, id))).isDirectory(), 'nothing was removed');
  const index = (await stack.app.inject('/index.json')).json();
  t.equal(index.models.length, 2);
  t.match(index.models[0], { 'job id': index.models[0].id, dataset_id: id, username: 'alice', status: 'Done' });
});

t.test('aborting a waiting build removes it from the queue', async (t) => {
  const stack = await startStack(t, { worker: false });
  const folder = await mnistFolder(stack, 3);
  const alice = await login(stack.app, 'alice');
  const { id } = (await createDataset(stack.app, alice, form(folder))).json() as { id: string };
  const connection = new Redis(stack.redisUrl, { maxRetriesPerRequest: null });
  const queue = new Queue('ingest', { connection, prefix: stack.prefix });
  t.teardown(async () => { await queue.close(); await connection.quit(); });
  t.equal(await queue.getWaitingCount(), 1);
  const bob = await login(stack.app, 'bob');
  t.equal((await stack.app.inject({ method: 'POST', url: `/datasets/${id}/abort`, headers: { cookie: bob } })).statusCode, 403, 'not the owner');
  const res = await stack.app.inject({ method: 'POST', url: `/datasets/${id}/abort`, headers: { cookie: alice } });
  t.equal(res.statusCode, 200);
  t.equal(res.body, 'Job aborted.');
  t.equal(await queue.getWaitingCount(), 0, 'queue entry removed');
  t.equal((await stack.app.inject(`/datasets/${id}/status`)).json().status, 'Aborted');
  const again = await stack.app.inject({ method: 'POST', url: `/jobs/${id}/abort.json`, headers: { cookie: alice } });
  t.equal(again.statusCode, 404, 'abort.json is not a route');
  const notRunning = await stack.app.inject({ method: 'POST', url: `/jobs/${id}/abort`, headers: { cookie: alice, accept: 'application/json' } });
  t.equal(notRunning.statusCode, 403);
  t.match(notRunning.json(), { error: { description: 'Job not aborted', code: 'JOB_NOT_RUNNING' } });
});

t.test('aborting a running build stops it before it ends and publishes no database', async (t) => {
  const stack = await startStack(t);
  const folder = await mnistFolder(stack, 150);
  const alice = await login(stack.app, 'alice');
  // upscaling to 256×256 colour JPEGs keeps the build busy for a while
  const { id } = (await createDataset(stack.app, alice, form(folder, { resize_channels: '3', resize_width: '256', resize_height: '256', encoding: 'jpg' }))).json() as { id: string };
  await waitForRecord(stack, id, 'the train DB being written', (r) => r.dataset?.createDbTasks[0]?.status === 'R' && r.progress > 0);
  t.equal((await stack.app.inject(`/jobs/${id}/status`)).json().status, 'Running');
  const res = await stack.app.inject({ method: 'POST', url: `/datasets/${id}/abort`, headers: { cookie: alice } });
  t.equal(res.statusCode, 200);
  t.equal(await waitForStatus(stack.app, id, 60_000), 'Aborted');
  const stopped = (await stack.app.services.store.get(id))!;
  t.ok(stopped.progress < 1, `stopped part way (progress ${stopped.progress})`);
  await t.rejects(fs.stat(path.join(stack.jobsDir, id, 'train_db')), 'no half-built database is published');
});

t.test('a gateway started on an emptied Redis rebuilds the index from JOBS_DIR', async (t) => {
  const stack = await startStack(t, { worker: false });
  const folder = await mnistFolder(stack, 3);
  const alice = await login(stack.app, 'alice');
  const { id: waiting } = (await createDataset(stack.app, alice, form(folder, { dataset_name: 'queued' }))).json() as { id: string };
  const before = (await stack.app.inject(`/datasets/${waiting}.json`)).json();
  await dropPrefix(stack.redisUrl, stack.prefix); // Redis emptied: index, records and queue entries gone
  const app = await stack.restartGateway();
  const index = (await app.inject('/index.json')).json();
  t.same(index.datasets.map((d: { id: string }) => d.id), [waiting], 'the job is listed again');
  const after = (await app.inject(`/datasets/${waiting}.json`)).json();
  t.equal(after.name, before.name);
  t.equal(after.status, before.status, 'a running job whose queue entry was lost is queued again, not dropped');
  const requeued = await app.services.store.get(waiting);
  t.ok(requeued?.queueJob && (await app.services.producer.isQueued(requeued.queueJob)), 'its build is in the queue again');
  // ids stay unique after the rebuild
  const { id: next } = (await createDataset(app, await login(app, 'alice'), form(folder, { dataset_name: 'next' }))).json() as { id: string };
  t.not(next, waiting);
  // a worker started now builds both
  const worker = await startWorker(loadWorkerConfig(stack.env), createLogger({ level: 'silent', name: 'test' }));
  t.teardown(() => worker.close());
  t.equal(await waitForStatus(app, waiting, 60_000), 'Done', 'the requeued build finishes');
  t.equal(await waitForStatus(app, next, 60_000), 'Done');
});
