/**
 * Benchmark: object detection through the real gateway + worker — generated KITTI data (1–3
 * rectangles per 64×64 image), the image-object-detection dataset build, the small DetectNet of
 * examples/object-detection trained as a custom Caffe network — beside PyTorch CPU training the
 * same network on the same files with the same targets and losses.
 *
 *   npm run bench:train-detection -- [--train 2000] [--val 200] [--epochs 4] [--threads 2] [--skip-torch]
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadGatewayConfig, loadWorkerConfig } from '@digits-ts/config';
import { createLogger } from '@digits-ts/logger';
import { buildApp } from '../../apps/gateway/src/app.ts';
import { startWorker } from '../../apps/worker/src/worker.ts';
import { shapeImages, writeKitti } from '../../test/helpers/detection-shapes.ts';
import { benchForm, waitDone } from '../stack-helpers.ts';

const { values: args } = parseArgs({ options: {
  train: { type: 'string', default: '2000' },
  val: { type: 'string', default: '200' },
  epochs: { type: 'string', default: '4' },
  threads: { type: 'string', default: '2' },
  'skip-torch': { type: 'boolean', default: false },
  'redis-url': { type: 'string', default: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379' },
} });
const PYTHON = '/usr/bin/python3';
const SIZE = 64;

const root = await fs.mkdtemp(path.join(os.tmpdir(), 'bench-detection-'));
const env = { REDIS_URL: args['redis-url'], QUEUE_PREFIX: `bench-${process.pid}`, JOBS_DIR: path.join(root, 'jobs'), DATA_ROOTS: root, LOG_LEVEL: 'warn', TRAIN_THREADS: args.threads };
const log = createLogger({ level: 'warn', name: 'bench' });
const data = path.join(root, 'shapes');
await writeKitti(path.join(data, 'train'), shapeImages(Number(args.train), SIZE, 1), SIZE);
await writeKitti(path.join(data, 'val'), shapeImages(Number(args.val), SIZE, 2), SIZE);
const app = await buildApp({ config: loadGatewayConfig(env), logger: log });
const worker = await startWorker(loadWorkerConfig(env), log);
try {
  const form = await benchForm(app);
  let started = performance.now();
  const ds = (await app.inject({ method: 'POST', url: '/datasets/generic/create/image-object-detection.json', ...form({
    dataset_name: 'shapes', train_image_folder: path.join(data, 'train/images'), train_label_folder: path.join(data, 'train/labels'),
    val_image_folder: path.join(data, 'val/images'), val_label_folder: path.join(data, 'val/labels'), padding_image_width: '', padding_image_height: '', val_min_box_size: '8',
  }) })).json() as { id: string };
  await waitDone(app, ds.id);
  const buildSeconds = (performance.now() - started) / 1000;
  const entries = Number(args.train) + Number(args.val);
  console.log(`dataset: ${entries} KITTI images built in ${buildSeconds.toFixed(1)} s (${Math.round(entries / buildSeconds)} entries/s)`);

  const network = await fs.readFile(new URL('../../examples/object-detection/detectnet-small.prototxt', import.meta.url), 'utf8');
  started = performance.now();
  const model = (await app.inject({ method: 'POST', url: '/models/images/generic.json', ...form({
    model_name: 'detectnet', dataset: ds.id, framework: 'caffe', method: 'custom', custom_network: network, train_epochs: args.epochs,
    solver_type: 'ADAM', learning_rate: '0.001', lr_policy: 'fixed', batch_size: '16', use_mean: 'none', random_seed: '1',
  }) })).json() as { id: string };
  await waitDone(app, model.id);
  const wall = (performance.now() - started) / 1000;
  const json = {
    ...((await app.inject(`/models/${model.id}.json`)).json() as { 'tfjs backend': string }),
    ...((await app.inject(`/models/${model.id}/training.json`)).json() as { 'images per second': number; val_outputs: Record<string, { values: (number | null)[] }> }),
  };
  const last = (name: string) => json.val_outputs[name]?.values.filter((v) => v !== null).at(-1) ?? Number.NaN;
  console.log(`ours (TF.js ${json['tfjs backend']}): ${json['images per second']} img/s training, val mAP ${last('mAP').toFixed(1)} % (precision ${last('precision').toFixed(1)}, recall ${last('recall').toFixed(1)}), coverage loss ${last('loss_coverage').toFixed(3)} after ${args.epochs} epoch(s), job wall ${wall.toFixed(1)} s`);
  if (!args['skip-torch']) {
    const torch = spawnSync(PYTHON, [new URL('./torch_detection.py', import.meta.url).pathname, '--data', data, '--epochs', args.epochs, '--threads', args.threads], { encoding: 'utf8' });
    if (torch.status !== 0) throw new Error(`PyTorch anchor failed: ${torch.stderr}`);
    const anchor = JSON.parse(torch.stdout.trim().split('\n').at(-1)!) as { imagesPerSecond: number; valCoverageLoss: number };
    console.log(`PyTorch ${args.threads} threads: ${Math.round(anchor.imagesPerSecond)} img/s training, coverage loss ${anchor.valCoverageLoss.toFixed(3)}`);
    console.log(`ratio ours/PyTorch: ${(json['images per second'] / anchor.imagesPerSecond).toFixed(2)}`);
  }
} finally {
  await worker.close();
  await app.close();
  await fs.rm(root, { recursive: true, force: true });
}
