/**
 * Benchmark: segmentation (issue #21) through the real gateway + worker — an image-segmentation
 * dataset of generated shapes (paletted class masks), the FCN of test/fixtures/segmentation-fcn.prototxt
 * (conv/pool, bilinear Deconvolution, Crop, per-pixel SoftmaxWithLoss) trained as a generic model —
 * beside PyTorch CPU training the same network on the same PNG files.
 *
 *   npm run bench:train-segmentation -- [--pairs 1000] [--size 32] [--epochs 3] [--threads 2] [--skip-torch]
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { writeShapesDataset } from '../../test/helpers/segmentation-shapes.ts';
import { waitDone } from '../stack-helpers.ts';
import { modelFigures, startTrainStack, torchAnchor, trainBenchArgs } from '../train-bench.ts';

const args = trainBenchArgs({ pairs: '1000', size: '32', epochs: '3' });

const root = await fs.mkdtemp(path.join(os.tmpdir(), 'bench-segmentation-'));
const data = path.join(root, 'data');
await writeShapesDataset(data, Number(args.pairs), Number(args.size));
const stack = await startTrainStack(args, root, { jobs: path.join(root, 'jobs'), dataRoots: data });
try {
  const { app, form } = stack;
  let started = performance.now();
  const ds = (await app.inject({ method: 'POST', url: '/datasets/generic/create/image-segmentation.json', ...form({ dataset_name: 'shapes', feature_folder: path.join(data, 'images'), label_folder: path.join(data, 'labels'), class_labels_file: path.join(data, 'classes.txt'), dsopts_label_encoding: 'png' }) })).json() as { id: string };
  await waitDone(app, ds.id);
  const buildSeconds = (performance.now() - started) / 1000;
  console.log(`dataset: ${args.pairs} ${args.size}×${args.size} image/label pairs built in ${buildSeconds.toFixed(1)} s (${Math.round(Number(args.pairs) / buildSeconds)} pairs/s)`);

  const network = await fs.readFile(new URL('../../test/fixtures/segmentation-fcn.prototxt', import.meta.url), 'utf8');
  started = performance.now();
  const model = (await app.inject({ method: 'POST', url: '/models/images/generic.json', ...form({ model_name: 'fcn', dataset: ds.id, framework: 'caffe', method: 'custom', custom_network: network, train_epochs: args.epochs, solver_type: 'ADAM', learning_rate: '0.01', lr_policy: 'fixed', batch_size: '16', shuffle: 'true', random_seed: '1', use_mean: 'none' }) })).json() as { id: string };
  await waitDone(app, model.id);
  const wall = (performance.now() - started) / 1000;
  const json = await modelFigures<{ val_outputs: Record<string, { values: number[] }> }>(app, model.id);
  const last = (name: string) => json.val_outputs[name]!.values.at(-1)!;
  console.log(`ours (TF.js ${json['tfjs backend']}): ${json['images per second']} img/s training, val pixel accuracy ${last('accuracy').toFixed(3)}, mean IoU ${last('mean_iou').toFixed(3)} after ${args.epochs} epoch(s), job wall ${wall.toFixed(1)} s`);
  if (!args['skip-torch']) {
    // 1 thread as well: on a loaded machine PyTorch's OpenMP threads can spin far slower than one thread
    const counts = [...new Set(['1', args.threads])];
    let best = 0;
    for (const threads of counts) {
      const anchor = torchAnchor<{ imagesPerSecond: number; valPixelAccuracy: number; valMeanIou: number }>(new URL('./torch_fcn.py', import.meta.url), ['--data', data, '--epochs', args.epochs, '--threads', threads]);
      console.log(`PyTorch ${threads} thread(s): ${Math.round(anchor.imagesPerSecond)} img/s training, val pixel accuracy ${anchor.valPixelAccuracy.toFixed(3)}, mean IoU ${anchor.valMeanIou.toFixed(3)}`);
      best = Math.max(best, anchor.imagesPerSecond);
    }
    console.log(`ratio ours/PyTorch (its faster run): ${(json['images per second'] / best).toFixed(2)}`);
  }
} finally {
  await stack.close();
}
