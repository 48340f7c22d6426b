// Image labels (image-processing, §7.5): label DBs of raw C×H×W B,G,R or PNG Datums load as H×W×C
// RGB targets, a Caffe convolution network with an image output learns them under EuclideanLoss,
// and its outputs are answered in Caffe's C×H×W blob layout.
import fs from 'node:fs/promises';
import path from 'node:path';
import t from 'tap';
import { createDbWriter, encodeDatum, formatSequenceKey, pixelsToDatumData } from '@digits-ts/dataset';
import { encodeImage } from '@digits-ts/imaging';
import { blobLayout, buildCustomNetwork, initBackend, loadSamples, train, type OutputValues, type Samples } from '@digits-ts/ml';
import { datumDecoder } from '../../apps/worker/src/training/decode.ts';
import { formOptions, setupFor } from './train-helpers.ts';

await initBackend('wasm');

const FIXTURES = new URL('../fixtures/', import.meta.url);

/** Writes `images` (H×W×C pixels of one shape) as a DB of Datums: raw or PNG-encoded. */
async function writeDb(dir: string, images: Uint8Array[], [height, width, channels]: [number, number, 1 | 3], encoding: 'none' | 'png'): Promise<void> {
  const writer = await createDbWriter(dir);
  for (const [i, data] of images.entries()) {
    const datum = encoding === 'none'
      ? encodeDatum({ channels, height, width, label: 0, data: pixelsToDatumData(data, width, height, channels), encoded: false })
      : encodeDatum({ channels, height, width, label: 0, data: await encodeImage({ data: Buffer.from(data), width, height, channels }, 'png'), encoded: true });
    writer.putKey(formatSequenceKey(i), datum);
  }
  await writer.close();
}

t.test('image label DBs load as H×W×C RGB targets, raw or encoded', async (t) => {
  const dir = t.testdir();
  const features = [new Uint8Array(4).fill(1), new Uint8Array(4).fill(2)];
  // 2×3 RGB labels whose pixel p is [p, 10 + p, 20 + p] + 100·i
  const labels = [0, 1].map((i) => Uint8Array.from({ length: 18 }, (_, k) => 100 * i + Math.floor(k / 3) + 10 * (k % 3)));
  await writeDb(path.join(dir, 'features'), features, [2, 2, 1], 'none');
  for (const encoding of ['none', 'png'] as const) {
    await writeDb(path.join(dir, `labels-${encoding}`), labels, [2, 3, 3], encoding);
    const samples = await loadSamples(path.join(dir, 'features'), { height: 2, width: 2, channels: 1 }, datumDecoder(1e6), undefined, path.join(dir, `labels-${encoding}`));
    t.equal(samples.targetSize, 18, encoding);
    t.same(Array.from(samples.targets!), [...labels[0]!, ...labels[1]!], `${encoding}: the label pixels in RGB order`);
  }
});

t.test('blobLayout answers image outputs as C×H×W and leaves the rest alone', async (t) => {
  // H=1, W=2, C=3: pixels [1,2,3] and [4,5,6]
  t.same(blobLayout({ name: 'o', shape: [1, 2, 3], values: Float32Array.of(1, 2, 3, 4, 5, 6) }), { values: Float32Array.of(1, 4, 2, 5, 3, 6), shape: [3, 1, 2] });
  const flat = { name: 'o', shape: [2], values: Float32Array.of(7, 8) };
  t.same(blobLayout(flat), flat);
});

/** `count` 16×16 grey images (a random bright square on a random level) and their inverses as targets. */
function inversionSamples(count: number, seed: number): Samples {
  let state = seed;
  const random = () => ((state = (state * 1103515245 + 12345) >>> 0) / 2 ** 32);
  const pixels = new Uint8Array(count * 256);
  for (let i = 0; i < count; i++) {
    const [level, x0, y0] = [Math.floor(random() * 128), Math.floor(random() * 12), Math.floor(random() * 12)];
    for (let p = 0; p < 256; p++) pixels[i * 256 + p] = (p % 16) - x0 >= 0 && (p % 16) - x0 < 4 && Math.floor(p / 16) - y0 >= 0 && Math.floor(p / 16) - y0 < 4 ? 250 : level;
  }
  return { height: 16, width: 16, channels: 1, count, pixels, labels: new Int32Array(count), targets: Float32Array.from(pixels, (v) => 255 - v), targetSize: 256 };
}

t.test('a Caffe convolution network learns an image output under EuclideanLoss', async (t) => {
  const prototxt = await fs.readFile(new URL('image-processing.prototxt', FIXTURES), 'utf8');
  const network = await buildCustomNetwork(prototxt, [16, 16, 1], null, 3);
  t.same(network.heads.map((h) => h.kind), ['euclidean']);
  t.same(network.model.outputs[0]!.shape, [null, 16, 16, 1], 'an image-shaped output');
  const val: OutputValues[] = [];
  try {
    const options = formOptions({ framework: 'caffe', method: 'custom', custom_network: prototxt, random_seed: '5', train_epochs: '3', solver_type: 'ADAM', learning_rate: '0.01', lr_policy: 'fixed', batch_size: '8' });
    await train(setupFor(network, inversionSamples(58, 1), inversionSamples(6, 2), options, t.testdir(), { threads: 1 }), { onOutputs: (phase, _epoch, outputs) => { if (phase === 'val') val.push(outputs); } });
  } finally {
    network.model.dispose();
  }
  t.equal(val[0]!.loss!.kind, 'EuclideanLoss');
  const losses = val.map((v) => v.loss!.value);
  t.equal(losses.length, 3);
  t.ok(losses[2]! < losses[0]! * 0.8, `val loss falls: ${losses.map((l) => l.toFixed(0)).join(' → ')}`);
});
