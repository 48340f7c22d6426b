/**
 * Benchmark: LeNet on the full MNIST train set (45 002 train / 14 998 val after DIGITS' split),
 * batch 64, through the real gateway and workers (dataset build, then a model job with the form's
 * defaults) on each TF.js engine — wasm, and native TensorFlow when `npm run engine -- tensorflow`
 * installed it — beside PyTorch CPU training the same network on the same PNGs and split lists,
 * all in one invocation on the same cores.
 *
 *   npm run bench:train-lenet -- [--epochs 1] [--data <dir>] [--threads 2] [--engines wasm,tensorflow] [--skip-torch]
 */
import { spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadGatewayConfig, loadWorkerConfig } from '@digits-ts/config';
import { createLogger } from '@digits-ts/logger';
import { buildApp } from '../../apps/gateway/src/app.ts';
import { startWorker } from '../../apps/worker/src/worker.ts';
import { benchForm, spawnStackProcess, stopProcesses, waitDone } from '../stack-helpers.ts';
import { writeMnistPngs } from '../../scripts/mnist.ts';
import { tensorflowEngineMissing } from '../../test/helpers/engines.ts';

const { values: args } = parseArgs({ options: {
  epochs: { type: 'string', default: '1' },
  data: { type: 'string' },
  threads: { type: 'string', default: '2' },
  engines: { type: 'string' },
  'skip-torch': { type: 'boolean', default: false },
  'redis-url': { type: 'string', default: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379' },
} });
const epochs = Number(args.epochs);
const PYTHON = '/usr/bin/python3';
const missing = tensorflowEngineMissing();
const engines = args.engines?.split(',') ?? (missing ? ['wasm'] : ['wasm', 'tensorflow']);
if (!args.engines && missing) console.log(`tensorflow: not run (${missing})`);

async function mnistFolder(): Promise<string> {
  const dir = args.data ? path.resolve(args.data) : path.join(os.tmpdir(), 'bench-mnist-png');
  const count = (await fs.readdir(path.join(dir, 'train', '0')).catch(() => [])).length;
  if (count === 0) {
    console.log(`data: writing the 60 000 MNIST train PNGs to ${dir}`);
    await writeMnistPngs(dir, { splits: ['train'] });
  }
  return path.join(dir, 'train');
}

const root = await fs.mkdtemp(path.join(os.tmpdir(), 'bench-train-'));
const env = { REDIS_URL: args['redis-url'], QUEUE_PREFIX: `bench-${process.pid}`, JOBS_DIR: root, DATA_ROOTS: path.dirname(await mnistFolder()), LOG_LEVEL: 'warn' };
const log = createLogger({ level: 'warn', name: 'bench' });
const app = await buildApp({ config: loadGatewayConfig(env), logger: log });
// the dataset is built in this process; each engine trains in its own worker process (TF.js
// picks its backend once per process), started and stopped in turn so only one takes the job
const ingest = await startWorker(loadWorkerConfig({ ...env, WORKER_QUEUES: 'ingest' }), log);
let trainer: ChildProcess | null = null;
const rows: { run: string; imagesPerSecond: number; accuracy: number }[] = [];
try {
  const form = await benchForm(app);
  const ds = (await app.inject({ method: 'POST', url: '/datasets/images/classification.json', ...form({ dataset_name: 'mnist', folder_train: await mnistFolder(), resize_channels: '1', resize_width: '28', resize_height: '28' }) })).json() as { id: string };
  await waitDone(app, ds.id);
  for (const engine of engines) {
    trainer = spawnStackProcess('apps/worker/src/main.ts', { ...env, WORKER_QUEUES: 'train', TF_BACKEND: engine, TRAIN_THREADS: args.threads, TF_CPP_MIN_LOG_LEVEL: '2' });
    const started = performance.now();
    const model = (await app.inject({ method: 'POST', url: '/models/images/classification.json', ...form({ model_name: `lenet-${engine}`, dataset: ds.id, framework: 'tensorflow', method: 'standard', standard_networks: 'lenet', train_epochs: String(epochs), shuffle: 'true', random_seed: '1' }) })).json() as { id: string };
    await waitDone(app, model.id);
    const wall = (performance.now() - started) / 1000;
    await stopProcesses([trainer]);
    trainer = null;
    const json = {
      ...((await app.inject(`/models/${model.id}.json`)).json() as { engine: string }),
      ...((await app.inject(`/models/${model.id}/training.json`)).json() as { 'images per second': number; val_outputs: { accuracy: { values: number[] } } }),
    };
    const accuracy = json.val_outputs.accuracy.values.at(-1)!;
    rows.push({ run: json.engine, imagesPerSecond: json['images per second'], accuracy });
    console.log(`${json.engine}: ${json['images per second']} img/s training, val accuracy ${(accuracy * 100).toFixed(2)} % after ${epochs} epoch(s), job wall ${wall.toFixed(1)} s`);
  }
  if (!args['skip-torch']) {
    const dsDir = path.join(root, ds.id);
    const torch = spawnSync(PYTHON, [new URL('./torch_lenet.py', import.meta.url).pathname, '--train', path.join(dsDir, 'train.txt'), '--val', path.join(dsDir, 'val.txt'), '--epochs', String(epochs), '--threads', args.threads], { encoding: 'utf8' });
    if (torch.status !== 0) throw new Error(`PyTorch anchor failed: ${torch.stderr}`);
    const anchor = JSON.parse(torch.stdout.trim().split('\n').at(-1)!) as { imagesPerSecond: number; valAccuracy: number };
    rows.push({ run: `PyTorch ${(spawnSync(PYTHON, ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8' }).stdout || '').trim()} (${args.threads} threads)`, imagesPerSecond: Math.round(anchor.imagesPerSecond), accuracy: anchor.valAccuracy });
    console.log(`${rows.at(-1)!.run}: ${rows.at(-1)!.imagesPerSecond} img/s training, val accuracy ${(anchor.valAccuracy * 100).toFixed(2)} %`);
  }
  const torchRow = rows.find((r) => r.run.startsWith('PyTorch'));
  console.log(`\n| run (${os.availableParallelism()} CPUs, ${args.threads} training threads) | img/s | val accuracy |${torchRow ? ' ÷ PyTorch |' : ''}`);
  console.log(`| --- | ---: | ---: |${torchRow ? ' ---: |' : ''}`);
  for (const r of rows) console.log(`| ${r.run} | ${r.imagesPerSecond} | ${(r.accuracy * 100).toFixed(2)} % |${torchRow ? ` ${(r.imagesPerSecond / torchRow.imagesPerSecond).toFixed(2)} |` : ''}`);
} finally {
  if (trainer) await stopProcesses([trainer]);
  await ingest.close();
  await app.close();
  await fs.rm(root, { recursive: true, force: true });
}
