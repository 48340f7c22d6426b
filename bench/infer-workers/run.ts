/**
 * Benchmark: classify_many throughput with one and with two infer worker processes sharing the
 * infer queue (issue #6: two workers ≥ 1.6× one). The gateway and a trainer run in this
 * process; the infer workers are separate `apps/worker` processes, as a deployment runs them.
 *
 *   npm run bench:infer-workers -- [--requests 64] [--images 1000] [--workers 1,2]
 *
 * Short runs (8 requests) swing 1.2–1.7× on warm-up alone; 64 requests give a steady figure.
 */
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadGatewayConfig } from '@digits-ts/config';
import type { WorkerInfo } from '@digits-ts/contracts';
import { createLogger } from '@digits-ts/logger';
import { buildApp } from '../../apps/gateway/src/app.ts';
import { dropPrefix } from '../../test/helpers/redis.ts';
import { spawnStackProcess, stopProcesses, trainMnistLenet } from '../stack-helpers.ts';

const { values: args } = parseArgs({ options: {
  requests: { type: 'string', default: '64' },
  images: { type: 'string', default: '1000' },
  workers: { type: 'string', default: '1,2' },
  'redis-url': { type: 'string', default: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379' },
} });

const root = await fs.mkdtemp(path.join(os.tmpdir(), 'bench-infer-workers-'));
const data = path.join(root, 'data');
// RATE_LIMIT_INFER_PER_MIN 0: the bench is one client address sending far more than a person would
const env = { REDIS_URL: args['redis-url'], QUEUE_PREFIX: `bench-${process.pid}`, JOBS_DIR: path.join(root, 'jobs'), DATA_ROOTS: data, LOG_LEVEL: 'warn', RATE_LIMIT_INFER_PER_MIN: '0' };
const log = createLogger({ level: 'warn', name: 'bench' });
const app = await buildApp({ config: loadGatewayConfig(env), logger: log });
const children: ChildProcess[] = [];

/** Starts an infer-only worker process; resolves once it is in the registry. */
async function inferWorker(): Promise<ChildProcess> {
  const before = await inferWorkers();
  const child = spawnStackProcess('apps/worker/src/main.ts', { ...env, WORKER_QUEUES: 'infer', TF_BACKEND: 'wasm' });
  children.push(child);
  while ((await inferWorkers()) <= before) await new Promise((r) => setTimeout(r, 100));
  return child;
}

async function inferWorkers(): Promise<number> {
  const { workers } = (await app.inject('/workers.json')).json() as { workers: WorkerInfo[] };
  return workers.filter((w) => w.queues.includes('infer')).length;
}

try {
  const { modelId, testDir } = await trainMnistLenet(app, env, log, data, { perClass: 300, epochs: 2 });
  const files = (await Promise.all([...Array(10).keys()].map(async (d) => (await fs.readdir(path.join(testDir, String(d)))).map((f) => `${d}/${f} ${d}`)))).flat();
  const images = Number(args.images);
  const list = (i: number) => Array.from({ length: images }, (_, k) => files[(i * images + k) % files.length]).join('\n');
  const classifyMany = async (i: number) => {
    const boundary = `----bench${i}`;
    const payload = Buffer.from([
      `--${boundary}\r\nContent-Disposition: form-data; name="job_id"\r\n\r\n${modelId}\r\n`,
      `--${boundary}\r\nContent-Disposition: form-data; name="image_folder"\r\n\r\n${testDir}\r\n`,
      `--${boundary}\r\nContent-Disposition: form-data; name="image_list"; filename="list.txt"\r\n\r\n${list(i)}\r\n--${boundary}--\r\n`,
    ].join(''));
    const res = await app.inject({ method: 'POST', url: '/models/images/classification/classify_many.json', payload, headers: { 'content-type': `multipart/form-data; boundary=${boundary}` } });
    if (res.statusCode !== 200) throw new Error(`classify_many answered ${res.statusCode}: ${res.body.slice(0, 300)}`);
  };

  const results: Record<number, number> = {};
  for (const count of args.workers.split(',').map(Number)) {
    while ((await inferWorkers()) < count) await inferWorker();
    // warm-up: every worker loads the model once
    await Promise.all(Array.from({ length: count * 2 }, (_, i) => classifyMany(i)));
    const requests = Number(args.requests);
    const started = performance.now();
    await Promise.all(Array.from({ length: requests }, (_, i) => classifyMany(i)));
    const seconds = (performance.now() - started) / 1000;
    results[count] = (requests * images) / seconds;
    console.log(`${count} infer worker${count > 1 ? 's' : ''}: ${requests} concurrent classify_many × ${images} images in ${seconds.toFixed(2)} s → ${Math.round(results[count]!)} img/s`);
  }
  const counts = Object.keys(results).map(Number).sort((a, b) => a - b);
  if (counts.length > 1) console.log(`scaling ${counts.at(-1)} workers / ${counts[0]} worker: ${(results[counts.at(-1)!]! / results[counts[0]!]!).toFixed(2)}× (the anchor is the one-worker figure of the same run; ${os.availableParallelism()} CPUs)`);
} finally {
  await stopProcesses(children);
  await app.close();
  await dropPrefix(args['redis-url'], env.QUEUE_PREFIX);
  await fs.rm(root, { recursive: true, force: true });
}
