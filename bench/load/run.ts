/**
 * Benchmark: the gateway under many clients (issue #8). With `--jobs` records stored (half
 * datasets, half models, created through the API as bench:pages does, plus a LeNet trained on an
 * MNIST subset), a gateway process on loopback holds `--clients` connections:
 *   1. on `/jobs/<id>/status` alone — the anchor: the cheapest route, one Redis read, no index;
 *   2. on `/index.json` alone — every record, DIGITS' home JSON;
 *   3. on a mix, a quarter each on `/index.json`, `/jobs/<id>/status`, `/datasets/<id>.json` and
 *      `/models/<id>.json`, all at once;
 * then `--infer-clients` connections POST classify_one (a 28×28 PNG) to one infer worker process,
 * after a one-client run that is its floor. DIGITS publishes no figure for either to compare with.
 * Every run prints req/s, p50/p99 latency and errors (non-2xx, socket errors, timeouts); the
 * bench exits 1 when any request failed.
 *
 *   npm run bench:load -- [--jobs 1000] [--clients 200] [--seconds 30] [--infer-clients 32] [--infer-seconds 30]
 */
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type autocannon from 'autocannon';
import { loadGatewayConfig } from '@digits-ts/config';
import type { WorkerInfo } from '@digits-ts/contracts';
import { createLogger } from '@digits-ts/logger';
import { buildApp } from '../../apps/gateway/src/app.ts';
import { dropPrefix } from '../../test/helpers/redis.ts';
import { multipart } from '../../test/helpers/stack.ts';
import { benchForm, cannon, spawnStackProcess, stopProcesses, trainMnistLenet } from '../stack-helpers.ts';

const { values: args } = parseArgs({ options: {
  jobs: { type: 'string', default: '1000' },
  clients: { type: 'string', default: '200' },
  seconds: { type: 'string', default: '30' },
  'infer-clients': { type: 'string', default: '32' },
  'infer-seconds': { type: 'string', default: '30' },
  'redis-url': { type: 'string', default: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379' },
} });
const clients = Number(args.clients);
const seconds = Number(args.seconds);
const inferSeconds = Number(args['infer-seconds']);

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const root = await fs.mkdtemp(path.join(os.tmpdir(), 'bench-load-'));
const data = path.join(root, 'data');
await fs.mkdir(data, { recursive: true });
const prefix = `bench-load-${process.pid}`;
const port = await freePort();
const env: Record<string, string> = {
  REDIS_URL: args['redis-url'], QUEUE_PREFIX: prefix, JOBS_DIR: path.join(root, 'jobs'), DATA_ROOTS: data, LOG_LEVEL: 'warn',
  HTTP_HOST: '127.0.0.1', HTTP_PORT: String(port),
  // the bench is one client with many connections: no per-client inference limit (0 = off)
  RATE_LIMIT_INFER_PER_MIN: '0',
};
const log = createLogger({ level: 'warn', name: 'bench' });
const children: ChildProcess[] = [];
let failed = 0;
const run = async (label: string, options: autocannon.Options) => {
  const r = await cannon(label, options);
  failed += r.errors + r.non2xx;
  return r;
};

try {
  // set-up through a gateway in this process, as bench:pages: the model, then the stored jobs
  const setup = await buildApp({ config: loadGatewayConfig(env), logger: log });
  let modelId: string, testDir: string;
  const datasetIds: string[] = [];
  const modelIds: string[] = [];
  try {
    ({ modelId, testDir } = await trainMnistLenet(setup, env, log, data, { perClass: 100, epochs: 1 }));
    const form = await benchForm(setup);
    const started = performance.now();
    // the rest stay queued (no ingest worker from here on), as bench:pages leaves them
    for (let i = 0; i < Math.ceil((Number(args.jobs) - 2) / 2); i++) {
      const ds = (await setup.inject({ method: 'POST', url: '/datasets/images/classification.json', ...form({ dataset_name: `ds-${i}`, folder_train: path.join(data, 'train') }) })).json() as { id: string };
      const model = (await setup.inject({ method: 'POST', url: '/models/images/classification.json', ...form({ model_name: `m-${i}`, dataset: ds.id, framework: 'tensorflow', method: 'standard', standard_networks: 'lenet' }) })).json() as { id: string };
      datasetIds.push(ds.id);
      modelIds.push(model.id);
    }
    modelIds.push(modelId);
    console.log(`stored ${datasetIds.length + modelIds.length + 1} jobs in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  } finally {
    await setup.close();
  }

  const base = `http://127.0.0.1:${port}`;
  children.push(spawnStackProcess('apps/gateway/src/server.ts', env));
  await until('the gateway', async () => (await fetch(`${base}/ready`)).ok);
  children.push(spawnStackProcess('apps/worker/src/main.ts', { ...env, WORKER_QUEUES: 'infer' }));
  await until('the infer worker', async () => ((await (await fetch(`${base}/workers.json`)).json()) as { workers: WorkerInfo[] }).workers.some((w) => w.queues.includes('infer')));
  const index = (await (await fetch(`${base}/index.json`)).json()) as { datasets: unknown[]; models: unknown[] };
  console.log(`gateway and infer worker processes on loopback; /index.json lists ${index.datasets.length} datasets + ${index.models.length} models; ${os.availableParallelism()} CPUs, load average ${os.loadavg()[0]!.toFixed(1)} before the runs`);

  // every connection walks its own list of ids, so the reads spread over the store
  const sample = (ids: string[]) => Array.from({ length: 64 }, (_, i) => ids[Math.floor((i * ids.length) / 64)]!);
  const paths = (make: (id: string) => string, ids: string[]): autocannon.Request[] => sample(ids).map((id) => ({ method: 'GET', path: make(id) }));
  const statusPaths = paths((id) => `/jobs/${id}/status`, [...datasetIds, ...modelIds]);
  const routes: [string, autocannon.Request[]][] = [
    ['GET /index.json', [{ method: 'GET', path: '/index.json' }]],
    ['GET /jobs/<id>/status', statusPaths],
    ['GET /datasets/<id>.json', paths((id) => `/datasets/${id}.json`, datasetIds)],
    ['GET /models/<id>.json', paths((id) => `/models/${id}.json`, modelIds)],
  ];

  console.log(`\n${clients} clients, ${seconds} s per run`);
  const floor = await run('GET /jobs/<id>/status alone (anchor)', { url: base, requests: statusPaths, connections: clients, duration: seconds });
  const alone = await run('GET /index.json alone', { url: `${base}/index.json`, connections: clients, duration: seconds });
  console.log(`/index.json alone / status alone: ${(alone.requests.average / floor.requests.average).toFixed(2)}× the req/s`);
  console.log(`mix, ${clients} clients at once (a quarter on each route):`);
  const share = Math.floor(clients / routes.length);
  const mixed = await Promise.all(routes.map(([label, requests], i) => run(`  ${label}`, { url: base, requests, connections: i === 0 ? clients - share * (routes.length - 1) : share, duration: seconds })));
  console.log(`  all routes: ${Math.round(mixed.reduce((n, r) => n + r.requests.average, 0))} req/s, errors ${mixed.reduce((n, r) => n + r.errors + r.non2xx, 0)}`);

  const digit = path.join(testDir, '7', (await fs.readdir(path.join(testDir, '7')))[0]!);
  const body = multipart({ job_id: modelId }, { image_file: { filename: 'digit.png', data: await fs.readFile(digit) } });
  const classify = { url: `${base}/models/images/classification/classify_one.json`, method: 'POST' as const, body: body.payload, headers: body.headers };
  // warm-up: the worker loads the model on the first call
  const first = await fetch(classify.url, { method: 'POST', body: body.payload, headers: body.headers });
  if (!first.ok) throw new Error(`classify_one answered ${first.status}: ${await first.text()}`);
  console.log(`\nclassify_one (model ${modelId}, one infer worker), ${inferSeconds} s per run`);
  await run('classify_one, 1 client (floor)', { ...classify, connections: 1, duration: Math.min(5, inferSeconds) });
  await run(`classify_one, ${args['infer-clients']} clients`, { ...classify, connections: Number(args['infer-clients']), duration: inferSeconds });
  console.log(`\n${failed === 0 ? 'no request failed' : `${failed} requests failed`}`);
  if (failed > 0) process.exitCode = 1;
} finally {
  // let the last in-flight requests finish before the processes and Redis keys go
  await new Promise((r) => setTimeout(r, 1000));
  await stopProcesses(children);
  await dropPrefix(args['redis-url'], prefix);
  await fs.rm(root, { recursive: true, force: true });
}
