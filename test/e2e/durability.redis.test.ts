// Durability with real processes: Redis restarted (AOF) in the middle of a build, a gateway
// killed in the middle of an upload, a JOBS_DIR that fills up during a build.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import t, { type Test } from 'tap';
import { writeMnistPngs } from '../../scripts/mnist.ts';
import { createDataset } from '../helpers/datasets.ts';
import { freePort, startGatewayProcess, startRedisProcess, startWorkerProcess, waitForOutput } from '../helpers/processes.ts';
import { login, startStack, waitForRecord, waitForStatus } from '../helpers/stack.ts';

const workerEnv = { WORKER_QUEUES: 'ingest', DATASET_THREADS: '1' };

/**
 * The in-process gateway on `env`, an ingest worker process, 600 MNIST PNGs; starts building
 * the dataset `fields` describe (resize and encoding) and returns its id.
 */
async function startBuild(t: Test, env: Record<string, string>, fields: Record<string, string>) {
  const stack = await startStack(t, { worker: false, env });
  const worker = await startWorkerProcess(t, { ...stack.env, ...workerEnv });
  const mnist = path.join(stack.dataDir, 'mnist');
  await writeMnistPngs(mnist, { splits: ['train'], perClass: 60 });
  const res = await createDataset(stack.app, await login(stack.app, 'alice'), { folder_train: path.join(mnist, 'train'), resize_channels: '3', ...fields });
  t.equal(res.statusCode, 200, res.body);
  return { stack, worker, id: (res.json() as { id: string }).id };
}

t.test('Redis restarted in the middle of a build: the dataset still finishes', async (t) => {
  const redisDir = t.testdir();
  const port = await freePort();
  const redisUrl = `redis://127.0.0.1:${port}`;
  let redis = await startRedisProcess(t, redisDir, port);
  // upscaled colour JPEGs keep the build busy for several seconds
  const { stack, id } = await startBuild(t, { REDIS_URL: redisUrl }, { dataset_name: 'restart', resize_width: '256', resize_height: '256', encoding: 'jpg' });
  const progressAtKill = (await waitForRecord(stack, id, 'progress past 15 %', (r) => r.progress > 0.15)).progress;
  t.ok(progressAtKill > 0 && progressAtKill < 0.9, `Redis killed at ${Math.round(progressAtKill * 100)} %`);
  redis.child.kill('SIGKILL');
  await redis.exited;
  // the outage is seen before Redis comes back: the gateway's client gives up on the command
  const during = await stack.app.inject(`/jobs/${id}/status`);
  t.ok(during.statusCode >= 500, `the status route fails while Redis is down (${during.statusCode})`);
  redis = await startRedisProcess(t, redisDir, port);
  // the gateway's own connections reconnect; status answers again
  t.equal(await waitForStatus(stack.app, id, 120_000), 'Done', 'the build finished after the restart');
  const json = (await stack.app.inject(`/datasets/${id}.json`)).json() as { CreateDbTasks?: unknown };
  const entries = (await stack.app.services.store.get(id))!.dataset!.createDbTasks.reduce((n, task) => n + (task.entries ?? 0), 0);
  t.equal(entries, 600, 'every image is in the databases');
  t.ok(json, 'dataset JSON answers');
});

t.test('a gateway killed in the middle of an upload leaves no half job', async (t) => {
  const stack = await startStack(t, { worker: false });
  const port = await freePort();
  const env = { ...stack.env, HTTP_PORT: String(port) };
  let gateway = await startGatewayProcess(t, env);
  const boundary = 'faultboundary';
  const head = [
    `--${boundary}\r\nContent-Disposition: form-data; name="username"\r\n\r\nalice\r\n`,
    `--${boundary}\r\nContent-Disposition: form-data; name="dataset_name"\r\n\r\nhalf\r\n`,
    `--${boundary}\r\nContent-Disposition: form-data; name="method"\r\n\r\ntextfile\r\n`,
    `--${boundary}\r\nContent-Disposition: form-data; name="textfile_train_images"; filename="train.txt"\r\nContent-Type: text/plain\r\n\r\n`,
  ].join('');
  const declared = 4 * 1024 * 1024;
  const request = http.request({ host: '127.0.0.1', port, method: 'POST', path: '/datasets/images/classification.json', headers: { 'content-type': `multipart/form-data; boundary=${boundary}`, 'content-length': String(head.length + declared) } });
  const failed = new Promise<void>((resolve) => { request.on('error', () => resolve()); request.on('response', () => resolve()); });
  request.write(head);
  request.write(Buffer.alloc(1024 * 1024, 'a'));
  // killed once the gateway has the request in hand (Fastify logs it before reading the body)
  await waitForOutput(gateway, 'incoming request', 10_000);
  gateway.child.kill('SIGKILL');
  await gateway.exited;
  await failed;
  gateway = await startGatewayProcess(t, env);
  const index = await fetch(`http://127.0.0.1:${port}/index.json`).then((r) => r.json()) as { datasets: unknown[] };
  t.same(index.datasets, [], 'no job listed');
  const folders = (await fs.readdir(stack.jobsDir).catch(() => [] as string[])).filter((f) => /^\d{8}-/.test(f));
  t.same(folders, [], 'no job folder left behind');
  await waitForOutput(gateway, 'gateway listening');
});

// a full disk is a 3 MB tmpfs, which only root may mount
const jobsDir = await fs.mkdtemp(path.join(os.tmpdir(), 'digits-ts-full-'));
const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=3m', 'tmpfs', jobsDir]).status === 0;
if (!mounted) await fs.rm(jobsDir, { recursive: true, force: true });

t.test('JOBS_DIR full during a build: the job ends Error and no half dataset is published', { skip: mounted ? false : 'mounting a small tmpfs needs root' }, async (t) => {
  t.teardown(() => { spawnSync('umount', ['-l', jobsDir]); return fs.rm(jobsDir, { recursive: true, force: true }); });
  // 600 raw 64×64 colour images are about 7 MB: more than the 3 MB disk
  const { stack, worker, id } = await startBuild(t, { JOBS_DIR: jobsDir }, { dataset_name: 'full', resize_width: '64', resize_height: '64', encoding: 'none' });
  t.equal(await waitForStatus(stack.app, id, 120_000), 'Error');
  const json = (await stack.app.inject(`/datasets/${id}.json`)).json() as { error: { code: string; message: string } };
  t.match(json.error, { code: 'STORAGE_FAILED', message: /no space left/ });
  const left = await fs.readdir(path.join(jobsDir, id));
  t.notOk(left.some((f) => f.endsWith('_db') || f === '.build'), `nothing half-built published or left: ${left.join(', ')}`);
  t.equal(worker.child.exitCode, null, 'the worker is still running');
  const workers = (await stack.app.inject('/workers.json')).json() as { workers: unknown[] };
  t.equal(workers.workers.length, 1, 'and still registered');
});
