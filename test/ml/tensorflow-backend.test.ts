/**
 * The native tensorflow engine (`npm run engine -- tensorflow`: tfjs-node built against PyPI's
 * TensorFlow) against wasm, our production CPU engine, in one process: LeNet trained on the same
 * MNIST subset with the same seed ends with close losses and the same accuracy (±1 %); snapshots
 * written on either load on the other and classify alike; a checkpoint written on one resumes on
 * the other; our custom layers (LRN, grouped convolution, Caffe pooling) agree forward and
 * backward. Every test is skipped, saying why, where the engine is not installed.
 */
import t from 'tap';
import { buildStandardNetwork, classifySamples, initBackend, loadModel, tf, train, type BackendInfo, type Samples, type StandardNetwork, type TrainHooks } from '@digits-ts/ml';
import { prepareWasm } from '../../packages/ml/src/tf.ts';
import { tensorflowEngineMissing } from '../helpers/engines.ts';
import { formOptions, mnistSamples, setupFor } from './train-helpers.ts';

type Backend = 'tensorflow' | 'wasm';
const skip = tensorflowEngineMissing() ?? false;

let engine: BackendInfo;
let trainSet: Samples;
let valSet: Samples;
t.before(async () => {
  if (skip) return;
  engine = await initBackend('tensorflow');
  prepareWasm();
  trainSet = await mnistSamples(0, 2000);
  valSet = await mnistSamples(50_000, 1000);
});

/** Largest |a − b| over all arrays, relative to the largest |a| (at least 1e-6). */
function relativeDifference(a: ArrayLike<number>[], b: ArrayLike<number>[]): number {
  let worst = 0;
  let scale = 1e-6;
  a.forEach((x, i) => {
    for (let j = 0; j < x.length; j++) {
      worst = Math.max(worst, Math.abs(x[j]! - b[i]![j]!));
      scale = Math.max(scale, Math.abs(x[j]!));
    }
  });
  return worst / scale;
}

const weightsOf = async (model: { getWeights(): tf.Tensor[] }) => Promise.all(model.getWeights().map(async (w) => (await w.data()) as Float32Array));

interface Trained {
  train: number[];
  val: { loss: number; accuracy: number }[];
  snapshot: string;
  weights: Float32Array[];
  imagesPerSecond: number;
}

/** LeNet trained on `backend` with the form's defaults (SGD, momentum 0.9) and a fixed seed. */
async function trainLenet(backend: Backend, dir: string, fields: Record<string, string> = {}, hooks: TrainHooks = {}, resume = false, samples = trainSet): Promise<Trained> {
  await tf.setBackend(backend);
  const options = formOptions({ train_epochs: '2', batch_size: '64', random_seed: '11', snapshot_interval: '1', val_interval: '1', ...fields });
  const network = buildStandardNetwork('lenet', { inputShape: [28, 28, 1], classes: 10, seed: 11 });
  const trained: Omit<Trained, 'snapshot' | 'weights' | 'imagesPerSecond'> = { train: [], val: [] };
  try {
    const result = await train(setupFor(network, samples, valSet, options, dir, { threads: 1, resume }), {
      ...hooks,
      onOutputs: (phase, _epoch, o) => {
        if (phase === 'train') trained.train.push(o.loss!.value);
        else trained.val.push({ loss: o.loss!.value, accuracy: o.accuracy!.value });
      },
    });
    return { ...trained, snapshot: result.snapshots.at(-1)!.dir, weights: await weightsOf(network.model), imagesPerSecond: result.imagesPerSecond };
  } finally {
    network.model.dispose();
  }
}

/** Classifies `samples` with the snapshot in `dir`, loaded on `backend`. */
async function classifyOn(backend: Backend, dir: string, samples: Samples): Promise<Float32Array[]> {
  await tf.setBackend(backend);
  const model = await loadModel(dir);
  try {
    return await classifySamples(model, samples, { crop: null, mean: null, augmentation: formOptions({}).augmentation });
  } finally {
    model.dispose();
  }
}

const top1 = (scores: Float32Array[]) => scores.map((s) => s.indexOf(Math.max(...s)));
const accuracyOf = (scores: Float32Array[], samples: Samples) => top1(scores).filter((c, i) => c === samples.labels[i]).length / samples.count;

t.test('the engine reports the TensorFlow library under it', { skip }, async (t) => {
  t.match(engine, { name: 'tensorflow', package: /^@tensorflow\/tfjs-node(-gpu)?$/, version: tf.version_core });
  t.match(engine.tensorflow, /^2\.\d+\.\d+$/, `TensorFlow ${engine.tensorflow}`);
});

t.test('LeNet, 2 000 MNIST images × 2 epochs: tensorflow ends where wasm does; snapshots cross-load and classify alike', { skip }, async (t) => {
  const onWasm = await trainLenet('wasm', t.testdir());
  const onTf = await trainLenet('tensorflow', t.testdir());
  t.comment(`images/s (one thread for wasm, TensorFlow's own pool): wasm ${Math.round(onWasm.imagesPerSecond)}, tensorflow ${Math.round(onTf.imagesPerSecond)}`);
  t.equal(onTf.val.length, 2, 'validated after each epoch');
  onTf.val.forEach((v, i) => {
    const w = onWasm.val[i]!;
    t.ok(Math.abs(v.accuracy - w.accuracy) <= 0.01, `epoch ${i + 1} val accuracy: tensorflow ${v.accuracy} vs wasm ${w.accuracy}`);
    t.ok(Math.abs(v.loss - w.loss) <= 0.02 * w.loss, `epoch ${i + 1} val loss: tensorflow ${v.loss} vs wasm ${w.loss}`);
  });
  t.ok(onTf.val.at(-1)!.accuracy > 0.8, `it learned: ${onTf.val.at(-1)!.accuracy}`);
  onTf.train.forEach((loss, i) => t.ok(Math.abs(loss - onWasm.train[i]!) <= 0.02 * onWasm.train[i]!, `train loss ${i}: tensorflow ${loss} vs wasm ${onWasm.train[i]}`));
  const drift = relativeDifference(onWasm.weights, onTf.weights);
  t.ok(drift < 0.02, `final weights within ${drift.toExponential(2)} of wasm's (relative)`);

  // each snapshot loads on the other engine and classifies as on its own, with the accuracy it was validated at
  for (const [from, snapshot, accuracy] of [['tensorflow', onTf.snapshot, onTf.val.at(-1)!.accuracy], ['wasm', onWasm.snapshot, onWasm.val.at(-1)!.accuracy]] as const) {
    const home = await classifyOn(from, snapshot, valSet);
    const away = await classifyOn(from === 'tensorflow' ? 'wasm' : 'tensorflow', snapshot, valSet);
    t.same(top1(away), top1(home), `the ${from} snapshot ranks all ${valSet.count} images alike on both engines`);
    const diff = relativeDifference(home, away);
    t.ok(diff < 1e-4, `the ${from} snapshot's scores on both engines within ${diff.toExponential(2)}`);
    t.ok(Math.abs(accuracyOf(away, valSet) - accuracy) < 1e-9, `classify's accuracy ${accuracyOf(away, valSet)} is the validated ${accuracy}`);
  }
});

for (const [from, to] of [['tensorflow', 'wasm'], ['wasm', 'tensorflow']] as const) {
  t.test(`a checkpoint written on ${from} resumes on ${to}`, { skip }, async (t) => {
    const small = { ...trainSet, count: 640, pixels: trainSet.pixels.subarray(0, 640 * 784), labels: trainSet.labels.subarray(0, 640) };
    const straight = await trainLenet(to, t.testdir(), {}, {}, false, small);
    const dir = t.testdir();
    const controller = new AbortController();
    await t.rejects(trainLenet(from, dir, {}, { signal: controller.signal, onIteration: (iter) => { if (iter === 13) controller.abort(); } }, false, small), { code: 'JOB_ABORTED' });
    const resumed = await trainLenet(to, dir, {}, {}, true, small);
    const diff = relativeDifference(straight.weights, resumed.weights);
    t.ok(diff < 1e-3, `13 steps on ${from}, 7 on ${to}: weights within ${diff.toExponential(2)} (relative) of 20 steps on ${to}`);
    t.ok(Math.abs(resumed.val.at(-1)!.accuracy - straight.val.at(-1)!.accuracy) <= 0.01, `val accuracy ${resumed.val.at(-1)!.accuracy} vs ${straight.val.at(-1)!.accuracy}`);
  });
}

t.test('custom layers (LRN, grouped convolution, Caffe pooling): AlexNet and GoogLeNet agree forward and backward', { skip }, async (t) => {
  const cases: [StandardNetwork, [number, number, number], number][] = [['alexnet', [67, 71, 3], 4], ['googlenet', [224, 224, 3], 3]];
  for (const [name, inputShape, classes] of cases) {
    const run = async (backend: Backend) => {
      await tf.setBackend(backend);
      const net = buildStandardNetwork(name, { inputShape, classes, seed: 3 });
      const x = tf.randomUniform([2, ...inputShape], 0, 255, 'float32', 4);
      const labels = tf.oneHot(tf.tensor1d([0, 2], 'int32'), classes);
      // inference mode: dropout's mask would come from each backend's own random numbers
      const { value, grads } = tf.variableGrads(() => tf.addN(([net.model.apply(x, { training: false })].flat() as tf.Tensor[]).map((logits) => tf.losses.softmaxCrossEntropy(labels, logits))) as tf.Scalar);
      const out = { layers: net.model.layers.map((l) => l.getClassName()), loss: (await value.data())[0]!, grads: await Promise.all(net.model.trainableWeights.map(async (w) => (await grads[w.name]!.data()) as Float32Array)) };
      tf.dispose([x, labels, value, ...Object.values(grads)]);
      net.model.dispose();
      return out;
    };
    const wasm = await run('wasm');
    const native = await run('tensorflow');
    if (name === 'alexnet') for (const layer of ['LRN', 'GroupConv2D', 'CaffePooling2D']) t.ok(native.layers.includes(layer), `AlexNet ${inputShape.join('×')} has ${layer}`);
    t.ok(Math.abs(native.loss - wasm.loss) <= 1e-4 * Math.max(1, wasm.loss), `${name} loss: tensorflow ${native.loss} vs wasm ${wasm.loss}`);
    t.equal(native.grads.length, wasm.grads.length);
    const worst = Math.max(...native.grads.map((g, i) => relativeDifference([wasm.grads[i]!], [g])));
    // GoogLeNet's float32 gradients, 22 layers deep: wasm and the cpu backend differ by as much (2.8e-3)
    const tolerance = name === 'googlenet' ? 5e-3 : 1e-4;
    t.ok(worst < tolerance, `${name}: ${native.grads.length} weight gradients, worst relative difference ${worst.toExponential(2)}`);
  }
});
