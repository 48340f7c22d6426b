/**
 * Benchmark: the HTML pages against the JSON of the same data. With `--jobs` datasets and as
 * many models stored, autocannon loads the home page beside `/index.json` (the anchor: the same
 * records, no template) and `/completed_jobs.json` (DIGITS clients' polling route, from the same
 * cache), then a model page beside its `.json`, and the new-model form. Loopback,
 * a gateway in this process, no worker (the jobs stay queued, which is all a page reads).
 *
 *   npm run bench:pages -- [--jobs 200] [--seconds 5] [--connections 16]   (--jobs 500: 1 000 jobs stored)
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadGatewayConfig } from '@digits-ts/config';
import { createLogger } from '@digits-ts/logger';
import { buildApp } from '../../apps/gateway/src/app.ts';
import { dropPrefix } from '../../test/helpers/redis.ts';
import { benchForm, cannon } from '../stack-helpers.ts';

const { values: args } = parseArgs({ options: {
  jobs: { type: 'string', default: '200' },
  seconds: { type: 'string', default: '5' },
  connections: { type: 'string', default: '16' },
  'redis-url': { type: 'string', default: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379' },
} });

const root = await fs.mkdtemp(path.join(os.tmpdir(), 'bench-pages-'));
const data = path.join(root, 'data');
await fs.mkdir(data, { recursive: true });
const prefix = `bench-pages-${process.pid}`;
const app = await buildApp({ config: loadGatewayConfig({ REDIS_URL: args['redis-url'], QUEUE_PREFIX: prefix, JOBS_DIR: path.join(root, 'jobs'), DATA_ROOTS: data, LOG_LEVEL: 'warn' }), logger: createLogger({ level: 'warn', name: 'bench' }) });
try {
  const form = await benchForm(app);
  const jobs = Number(args.jobs);
  let modelId = '';
  for (let i = 0; i < jobs; i++) {
    const ds = (await app.inject({ method: 'POST', url: '/datasets/images/classification.json', ...form({ dataset_name: `ds-${i}`, folder_train: data }) })).json() as { id: string };
    const model = (await app.inject({ method: 'POST', url: '/models/images/classification.json', ...form({ model_name: `m-${i}`, dataset: ds.id, framework: 'tensorflow', method: 'standard', standard_networks: 'lenet' }) })).json() as { id: string };
    modelId = model.id;
  }
  const base = await app.listen({ port: 0, host: '127.0.0.1' });
  const cookie = (await app.inject({ method: 'POST', url: '/login', payload: 'username=bench', headers: { 'content-type': 'application/x-www-form-urlencoded' } })).headers['set-cookie'];
  const sessionCookie = [cookie ?? []].flat()[0]!.split(';')[0]!;
  const load = async (label: string, url: string, headers: Record<string, string> = {}) =>
    (await cannon(label, { url: `${base}${url}`, headers, connections: Number(args.connections), duration: Number(args.seconds) })).requests.average;
  console.log(`${jobs} datasets + ${jobs} models stored; ${args.connections} connections, ${args.seconds} s each, ${os.availableParallelism()} CPUs`);
  const json = await load('GET /index.json (anchor)', '/index.json');
  const completed = await load('GET /completed_jobs.json', '/completed_jobs.json');
  // after a change (a running job's progress moves every second) the first answer rebuilds
  const cold = async (label: string, url: string) => {
    const times: number[] = [];
    for (let i = 0; i < 20; i++) {
      await app.services.store.setProgress(modelId, i / 100);
      const start = performance.now();
      const res = await fetch(`${base}${url}`);
      await res.arrayBuffer();
      times.push(performance.now() - start);
    }
    console.log(`${label} first answer after a change: ${(times.reduce((a, b) => a + b, 0) / times.length).toFixed(1)} ms (mean of 20)`);
  };
  await cold('GET /index.json', '/index.json');
  await cold('GET /completed_jobs.json', '/completed_jobs.json');
  const html = await load('GET / (home page)', '/', { accept: 'text/html' });
  const modelJson = await load('GET /models/<id>.json (anchor)', `/models/${modelId}.json`);
  const modelHtml = await load('GET /models/<id> (model page)', `/models/${modelId}`, { accept: 'text/html' });
  await load('GET new-model form (logged in)', '/models/images/classification/new', { cookie: sessionCookie });
  console.log(`home page / index.json: ${(html / json).toFixed(2)}×; completed_jobs.json / index.json: ${(completed / json).toFixed(2)}×; model page / model JSON: ${(modelHtml / modelJson).toFixed(2)}×`);
} finally {
  // let the last in-flight requests finish before Redis closes under them
  await new Promise((r) => setTimeout(r, 1000));
  await app.close();
  await dropPrefix(args['redis-url'], prefix);
  await fs.rm(root, { recursive: true, force: true });
}
