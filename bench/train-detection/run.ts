/**
 * Benchmark: object detection through the real gateway + worker — generated KITTI data (1–3
 * rectangles per 64×64 image), the image-object-detection dataset build, the small DetectNet of
 * examples/object-detection trained as a custom Caffe network — beside PyTorch CPU training the
 * same network on the same files with the same targets and losses.
 *
 *   npm run bench:train-detection -- [--train 2000] [--val 200] [--epochs 4] [--threads 2] [--skip-torch]
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { shapeImages, writeKitti } from '../../test/helpers/detection-shapes.ts';
import { waitDone } from '../stack-helpers.ts';
import { modelFigures, startTrainStack, torchAnchor, trainBenchArgs } from '../train-bench.ts';

const args = trainBenchArgs({ train: '2000', val: '200', epochs: '4' });
const SIZE = 64;

const root = await fs.mkdtemp(path.join(os.tmpdir(), 'bench-detection-'));
const data = path.join(root, 'shapes');
await writeKitti(path.join(data, 'train'), shapeImages(Number(args.train), SIZE, 1), SIZE);
await writeKitti(path.join(data, 'val'), shapeImages(Number(args.val), SIZE, 2), SIZE);
const stack = await startTrainStack(args, root, { jobs: path.join(root, 'jobs'), dataRoots: root });
try {
  const { app, form } = stack;
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
  const json = await modelFigures<{ val_outputs: Record<string, { values: (number | null)[] }> }>(app, model.id);
  const last = (name: string) => json.val_outputs[name]?.values.filter((v) => v !== null).at(-1) ?? Number.NaN;
  console.log(`ours (TF.js ${json['tfjs backend']}): ${json['images per second']} img/s training, val mAP ${last('mAP').toFixed(1)} % (precision ${last('precision').toFixed(1)}, recall ${last('recall').toFixed(1)}), coverage loss ${last('loss_coverage').toFixed(3)} after ${args.epochs} epoch(s), job wall ${wall.toFixed(1)} s`);
  if (!args['skip-torch']) {
    const anchor = torchAnchor<{ imagesPerSecond: number; valCoverageLoss: number }>(new URL('./torch_detection.py', import.meta.url), ['--data', data, '--epochs', args.epochs, '--threads', args.threads]);
    console.log(`PyTorch ${args.threads} threads: ${Math.round(anchor.imagesPerSecond)} img/s training, coverage loss ${anchor.valCoverageLoss.toFixed(3)}`);
    console.log(`ratio ours/PyTorch: ${(json['images per second'] / anchor.imagesPerSecond).toFixed(2)}`);
  }
} finally {
  await stack.close();
}
