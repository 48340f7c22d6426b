// Streaming training input: a split read from its LMDB through the bounded read-ahead trains to
// exactly the losses of the same split held in memory (same seed, same order): a LeNet
// classifier on PNG Datums (crop, mirror, mean, flips and noise) and a regression on raw feature
// + float label DBs with a replica thread reading the ring. The read-ahead holds at most its bound of batches.
import path from 'node:path';
import t from 'tap';
import { createDbWriter, createRandom, encodeDatum, formatDatumKey, formatSequenceKey, pixelsToDatumData, shuffleInPlace } from '@digits-ts/dataset';
import { encodeImage } from '@digits-ts/imaging';
import { buildCustomNetwork, buildStandardNetwork, initBackend, loadSamples, ReadAhead, streamedSplit, tf, train, type OutputValues, type Split } from '@digits-ts/ml';
import { datumDecoder, decoderModule } from '../../apps/worker/src/training/decode.ts';
import { EpochOrder } from '../../packages/ml/src/train/epoch-order.ts';
import { formOptions, mnistSamples, setupFor } from './train-helpers.ts';

await initBackend('wasm');

const SHAPE = { height: 28, width: 28, channels: 1 };
const MAX_PIXELS = 1 << 20;
const decode = datumDecoder(MAX_PIXELS);
const root = t.testdir();

/** `count` MNIST images from `start` as a DIGITS classification DB of PNG Datums. */
async function pngDb(dir: string, start: number, count: number): Promise<void> {
  const m = await mnistSamples(start, count);
  const writer = await createDbWriter(dir);
  for (let i = 0; i < count; i++) {
    const png = await encodeImage({ data: Buffer.from(m.pixels.subarray(i * 784, (i + 1) * 784)), width: 28, height: 28, channels: 1 }, 'png');
    writer.put(i, m.labels[i]!, encodeDatum({ ...SHAPE, label: m.labels[i]!, data: png, encoded: true }));
  }
  await writer.close();
}

/** `count` MNIST images as a generic dataset: raw feature Datums, and label Datums of two floats (digit / 10, mean brightness). */
async function genericDbs(dir: string, start: number, count: number): Promise<{ features: string; labels: string }> {
  const m = await mnistSamples(start, count);
  const features = await createDbWriter(path.join(dir, 'features'));
  const labels = await createDbWriter(path.join(dir, 'labels'));
  for (let i = 0; i < count; i++) {
    const image = m.pixels.subarray(i * 784, (i + 1) * 784);
    features.putKey(formatSequenceKey(i), encodeDatum({ ...SHAPE, label: 0, data: pixelsToDatumData(image, 28, 28, 1), encoded: false }));
    const brightness = image.reduce((s, v) => s + v, 0) / 784 / 255;
    labels.putKey(formatSequenceKey(i), encodeDatum({ channels: 2, height: 1, width: 1, label: 0, floatData: [m.labels[i]! / 10, brightness], encoded: false }));
  }
  await features.close();
  await labels.close();
  return { features: features.dir, labels: labels.dir };
}

const trainDb = path.join(root, 'train_db');
const valDb = path.join(root, 'val_db');
await pngDb(trainDb, 0, 250);
await pngDb(valDb, 50_000, 48);
const generic = await genericDbs(path.join(root, 'generic'), 1000, 160);

const streamed = (dbDir: string, labelDb?: string): Split => streamedSplit(dbDir, SHAPE, { decoder: decoderModule(MAX_PIXELS), readAhead: 2, ...(labelDb ? { labelDb } : {}) });

type Report = { phase: string; epoch: number; outputs: OutputValues };
const values = (reports: Report[]) => reports.map((r) => `${r.phase} ${r.epoch} ${Object.entries(r.outputs).map(([k, v]) => `${k}=${v.value}`).join(' ')}`);

t.test('a classifier on PNG Datums: the same losses streamed as in memory', async (t) => {
  // batches of 24 cross each epoch's end; crop, mirror, mean, flips and noise all draw from the run's random stream
  const options = formOptions({ random_seed: '4', train_epochs: '2', batch_size: '24', crop_size: '24', aug_flip: 'fliplr', aug_noise: '0.05', lr_policy: 'fixed', val_interval: '1' });
  const mean = new Float32Array(784).map((_, i) => 20 + (i % 28));
  const run = async (trainSplit: Split, valSplit: Split) => {
    const network = buildStandardNetwork('lenet', { inputShape: [24, 24, 1], classes: 10, seed: 4 });
    const reports: Report[] = [];
    try {
      await train(setupFor(network, trainSplit, valSplit, options, t.testdir(), { mirror: true, mean }), { onOutputs: (phase, epoch, outputs) => { reports.push({ phase, epoch, outputs }); } });
    } finally {
      network.model.dispose();
    }
    return reports;
  };
  const before = tf.memory().numTensors;
  const inMemory = await run(await loadSamples(trainDb, SHAPE, decode), await loadSamples(valDb, SHAPE, decode));
  const fromDb = await run(streamed(trainDb), streamed(valDb));
  t.ok(inMemory.filter((r) => r.phase === 'train').length >= 3 && inMemory.some((r) => r.phase === 'val'), `${inMemory.length} reports`);
  t.same(values(fromDb), values(inMemory), 'every train and val report, value for value');
  t.equal(tf.memory().numTensors, before, 'no tensors left behind');
});

t.test('a regression on raw feature and float label DBs, two threads: the same losses streamed as in memory', async (t) => {
  const NETWORK = JSON.stringify({ class_name: 'Sequential', config: { name: 'r', layers: [
    { class_name: 'Rescaling', config: { name: 'scale', scale: 1 / 255, offset: 0, batch_input_shape: [null, 28, 28, 1] } },
    { class_name: 'Flatten', config: { name: 'flat' } },
    { class_name: 'Dense', config: { name: 'hidden', units: 16, activation: 'relu' } },
    { class_name: 'Dense', config: { name: 'out', units: 2 } },
  ] } });
  const options = formOptions({ random_seed: '6', train_epochs: '3', solver_type: 'ADAM', learning_rate: '0.01', lr_policy: 'fixed', batch_size: '16' });
  // a layers JSON's initial weights are random: both runs start from the same ones
  const network = await buildCustomNetwork(NETWORK, [28, 28, 1], null);
  t.teardown(() => network.model.dispose());
  const initial = network.model.getWeights().map((w) => tf.keep(w.clone()));
  t.teardown(() => tf.dispose(initial));
  const run = async (trainSplit: Split) => {
    network.model.setWeights(initial);
    const reports: Report[] = [];
    await train(setupFor(network, trainSplit, null, options, t.testdir(), { threads: 2, keepThreads: true }), { onOutputs: (phase, epoch, outputs) => { reports.push({ phase, epoch, outputs }); } });
    return reports;
  };
  const inMemory = await run(await loadSamples(generic.features, SHAPE, decode, undefined, generic.labels));
  const fromDb = await run(streamed(generic.features, generic.labels));
  t.equal(fromDb[0]!.outputs.loss!.kind, 'MeanSquaredError');
  t.ok(inMemory.length >= 3, `${inMemory.length} reports`);
  t.same(values(fromDb), values(inMemory), 'every report, value for value');
});

t.test('the read-ahead holds at most its bound of batches, and each batch is the right images', async (t) => {
  const all = await loadSamples(trainDb, SHAPE, decode);
  const depth = 2;
  const bs = 16;
  const source = await ReadAhead.open({ ...streamedSplit(trainDb, SHAPE, { decoder: decoderModule(MAX_PIXELS) }), readAhead: depth }, bs);
  t.teardown(() => source.close());
  t.equal(source.samples.pixels.byteLength, (depth + 1) * bs * 784, 'the ring: the bound plus the batch in use');
  // a caller that knows its whole order asks for every later batch at once
  const order = shuffleInPlace(Array.from({ length: all.count }, (_, i) => i), createRandom(9));
  const batches = Array.from({ length: Math.ceil(order.length / bs) }, (_, b) => order.slice(b * bs, (b + 1) * bs));
  const wrong: number[] = [];
  const check = (indices: number[], positions: number[]) => indices.forEach((index, k) => {
    const at = positions[k]!;
    const same = Buffer.from(source.samples.pixels.subarray(at * 784, (at + 1) * 784)).equals(all.pixels.subarray(index * 784, (index + 1) * 784));
    if (!same || source.samples.labels[at] !== all.labels[index]) wrong.push(index);
  });
  let peak = 0;
  for (const [b, indices] of batches.entries()) {
    // midway, a batch out of the announced order: read when asked for, the batches read ahead dropped
    if (b === 5) check([5, 3], await source.batch([5, 3]));
    check(indices, await source.batch(indices, (k) => batches[b + 1 + k] ?? null));
    peak = Math.max(peak, source.peakAhead);
  }
  t.same(wrong, [], 'every sample at its position, pixels and label');
  t.equal(peak, depth, `at most ${depth} batches read ahead, and it did read ahead`);
});

t.test('a bad Datum fails the batch with the in-memory path\'s error', async (t) => {
  const dir = path.join(t.testdir(), 'bad');
  const writer = await createDbWriter(dir);
  writer.put(0, 0, encodeDatum({ ...SHAPE, label: 0, data: new Uint8Array(784), encoded: false }));
  writer.put(1, 0, encodeDatum({ height: 14, width: 14, channels: 1, label: 0, data: new Uint8Array(196), encoded: false }));
  await writer.close();
  await t.rejects(loadSamples(dir, SHAPE, decode), { code: 'VALIDATION_FAILED', message: /28x28x1 datum/ });
  const source = await ReadAhead.open(streamedSplit(dir, SHAPE), 2);
  t.teardown(() => source.close());
  await t.rejects(source.batch([1, 0]), { code: 'VALIDATION_FAILED', message: /28x28x1 datum/ });
  await t.rejects(ReadAhead.open(streamedSplit(trainDb, SHAPE), 2).then((s) => s.batch([0]).finally(() => s.close())), /encoded images, and no decoder/);
});

t.test('the epoch order tells the batches ahead it knows, without drawing', async (t) => {
  const order = new EpochOrder(10, true, createRandom(1));
  const twin = new EpochOrder(10, true, createRandom(1));
  const planned = order.planned(0, 4)!;
  t.same(order.next(4), planned, 'the next batch as planned');
  t.equal(order.planned(4, 4), null, 'past this epoch: its shuffle is not drawn yet');
  t.same(order.planned(0, 6)!.length, 6, 'the rest of this epoch');
  t.same([...order.next(6), ...order.next(10)], [...twin.next(10), ...twin.next(6), ...twin.next(4)].slice(4), 'planning drew nothing: the same epochs as an order never asked');
  const unshuffled = new EpochOrder(10, false, createRandom(1));
  t.same(unshuffled.planned(8, 4), [8, 9, 0, 1], 'unshuffled, every epoch is known');
});
