/**
 * What the stack benchmarks share: a logged-in form poster, waiting for a job to finish, a LeNet
 * trained on an MNIST subset, stack processes started from the sources, and autocannon runs
 * printed on one line each.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import autocannon from 'autocannon';
import type { FastifyInstance } from 'fastify';
import { loadWorkerConfig } from '@digits-ts/config';
import type { Logger } from '@digits-ts/logger';
import { writeMnistPngs } from '../scripts/mnist.ts';

const REPO_ROOT = new URL('..', import.meta.url).pathname;

/** Polls a job until Done; throws with its JSON when it ends otherwise. */
export async function waitDone(app: FastifyInstance, id: string): Promise<void> {
  for (;;) {
    const { status } = (await app.inject(`/jobs/${id}/status`)).json() as { status: string };
    if (status === 'Done') return;
    if (!['Initialized', 'Waiting', 'Running'].includes(status)) throw new Error(`job ${id} ended ${status}: ${(await app.inject(`/jobs/${id}`)).body}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Logs in as `bench`; returns a builder of urlencoded form requests carrying the session. */
export async function benchForm(app: FastifyInstance): Promise<(fields: Record<string, string>) => { payload: string; headers: Record<string, string> }> {
  const cookie = (await app.inject({ method: 'POST', url: '/login', payload: 'username=bench', headers: { 'content-type': 'application/x-www-form-urlencoded' } })).headers['set-cookie']!.toString().split(';')[0]!;
  return (fields) => ({ payload: new URLSearchParams(fields).toString(), headers: { 'content-type': 'application/x-www-form-urlencoded', cookie } });
}

/**
 * Writes `perClass` MNIST PNGs per digit under `<data>/train` and `<data>/test`, builds the
 * train folder as a 28×28 grey dataset and trains LeNet on it for `epochs`, with a worker in this
 * process that leaves afterwards. `env` is the gateway's (same Redis, prefix and folders).
 */
export async function trainMnistLenet(app: FastifyInstance, env: Record<string, string>, log: Logger, data: string, options: { perClass: number; epochs: number }): Promise<{ modelId: string; datasetId: string; testDir: string }> {
  // imported here so that benches without a worker don't load TensorFlow.js
  const { startWorker } = await import('../apps/worker/src/worker.ts');
  await writeMnistPngs(data, { splits: ['train', 'test'], perClass: options.perClass });
  const form = await benchForm(app);
  const trainer = await startWorker(loadWorkerConfig({ ...env, WORKER_QUEUES: 'ingest,train' }), log);
  try {
    const ds = (await app.inject({ method: 'POST', url: '/datasets/images/classification.json', ...form({ dataset_name: 'mnist', folder_train: path.join(data, 'train'), resize_channels: '1', resize_width: '28', resize_height: '28' }) })).json() as { id: string };
    await waitDone(app, ds.id);
    const model = (await app.inject({ method: 'POST', url: '/models/images/classification.json', ...form({ model_name: 'lenet', dataset: ds.id, framework: 'tensorflow', method: 'standard', standard_networks: 'lenet', train_epochs: String(options.epochs) }) })).json() as { id: string };
    await waitDone(app, model.id);
    return { modelId: model.id, datasetId: ds.id, testDir: path.join(data, 'test') };
  } finally {
    await trainer.close();
  }
}

/** Starts `entry` (a process entry under the repository, e.g. `apps/worker/src/main.ts`) through tsx. */
export function spawnStackProcess(entry: string, env: Record<string, string>): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', entry], { cwd: REPO_ROOT, env: { ...process.env, ...env }, stdio: 'inherit' });
}

/** SIGTERMs the processes and waits for them to exit. */
export async function stopProcesses(children: ChildProcess[]): Promise<void> {
  for (const child of children) if (child.exitCode === null) child.kill('SIGTERM');
  await Promise.all(children.map((c) => new Promise((r) => (c.exitCode !== null || c.signalCode !== null ? r(null) : c.once('exit', r)))));
}

/** One autocannon run, printed as `label  req/s  p50  p99  errors` (non-2xx, socket errors and timeouts). */
export async function cannon(label: string, options: autocannon.Options): Promise<autocannon.Result> {
  const r = await autocannon(options);
  const errors = r.errors + r.non2xx;
  const detail = errors > 0 ? ` (non-2xx ${r.non2xx}, socket ${r.errors - r.timeouts}, timeouts ${r.timeouts})` : '';
  console.log(`${label.padEnd(40)} ${String(Math.round(r.requests.average)).padStart(6)} req/s  p50 ${r.latency.p50} ms  p99 ${r.latency.p99} ms  errors ${errors}${detail}`);
  return r;
}
