// The training loop on the backend production picks here (wasm): every solver lowers LeNet's
// loss on real MNIST, batch accumulation, schedule arithmetic, snapshots, abort, no leaks.
import fs from 'node:fs/promises';
import path from 'node:path';
import t from 'tap';
import { buildCaffeNetwork, buildStandardNetwork, epochOf, initBackend, loadModel, scheduleOf, tf, train, type OutputValues, type TrainHooks } from '@digits-ts/ml';
import { formOptions, mnistSamples, setupFor } from './train-helpers.ts';

await initBackend('wasm');
const trainSet = await mnistSamples(0, 1280);
const valSet = await mnistSamples(50_000, 256);

async function run(fields: Record<string, string>, dir: string, hooks: Pick<TrainHooks, 'signal' | 'onIteration'> = {}, threads = 1) {
  const options = formOptions({ random_seed: '3', ...fields });
  const network = buildStandardNetwork('lenet', { inputShape: [28, 28, 1], classes: 10, seed: 3 });
  const reports: { phase: string; epoch: number; outputs: OutputValues }[] = [];
  try {
    const result = await train(setupFor(network, trainSet, valSet, options, dir, { threads, keepThreads: true }), { ...hooks, onOutputs: (phase, epoch, outputs) => { reports.push({ phase, epoch, outputs }); } });
    return { result, reports };
  } finally {
    network.model.dispose();
  }
}

const losses = (reports: { phase: string; outputs: OutputValues }[]) => reports.filter((r) => r.phase === 'train').map((r) => r.outputs.loss!.value);

t.test('schedule arithmetic follows the Caffe solver DIGITS writes (§8.4)', async (t) => {
  t.same(scheduleOf({ trainEntries: 45_002, batchSize: 64, iterSize: 1, epochs: 30, snapshotInterval: 1, valInterval: 1 }), { itersPerEpoch: 704, maxIter: 21_120, snapshotEvery: 704, testEvery: 704, display: 79 });
  t.same(scheduleOf({ trainEntries: 100, batchSize: 64, iterSize: 2, epochs: 4, snapshotInterval: 2, valInterval: 0.25 }), { itersPerEpoch: 1, maxIter: 4, snapshotEvery: 2, testEvery: 1, display: 1 });
  t.equal(scheduleOf({ trainEntries: 640, batchSize: 64, iterSize: 1, epochs: 2, snapshotInterval: 5, valInterval: 0 }).snapshotEvery, 0, 'beyond training: only the final snapshot');
  t.equal(epochOf(1, 3), 0.333);
  t.equal(epochOf(6, 3), 2);
});

for (const [solver, lr] of [['SGD', '0.01'], ['NESTEROV', '0.01'], ['ADAGRAD', '0.01'], ['RMSPROP', '0.001'], ['ADADELTA', '1'], ['ADAM', '0.001']] as const) {
  t.test(`${solver} lowers LeNet's training loss`, async (t) => {
    const dir = t.testdir();
    const before = tf.memory().numTensors;
    const { reports } = await run({ solver_type: solver, learning_rate: lr, train_epochs: '1', lr_policy: 'fixed' }, dir);
    const trainLoss = losses(reports);
    t.ok(trainLoss.length >= 4, `${trainLoss.length} training reports`);
    const first = trainLoss[0]!;
    const last = trainLoss[trainLoss.length - 1]!;
    t.ok(last < first * 0.6, `loss ${first.toFixed(3)} → ${last.toFixed(3)}`);
    t.equal(tf.memory().numTensors, before, 'no tensors left behind');
  });
}

t.test('learning rate follows the policy per iteration, reported as learning_rate', async (t) => {
  const { reports } = await run({ train_epochs: '2', lr_policy: 'step', lr_step_size: '50', lr_step_gamma: '0.1', snapshot_interval: '0', val_interval: '0' }, t.testdir());
  const rates = reports.filter((r) => r.phase === 'train').map((r) => [r.epoch, r.outputs.learning_rate!.value] as const);
  for (const [epoch, rate] of rates) t.equal(rate, epoch <= 1 ? 0.01 : 0.001, `epoch ${epoch}: ${rate}`);
  t.notOk(reports.some((r) => r.phase === 'val'), 'val_interval 0: no validation');
});

t.test('batch accumulation: iter_size batches per update, fewer iterations', async (t) => {
  const { result, reports } = await run({ train_epochs: '2', batch_size: '32', batch_accumulation: '2' }, t.testdir());
  t.equal(result.schedule.itersPerEpoch, 20);
  t.equal(result.schedule.maxIter, 40);
  const trainLoss = losses(reports);
  t.ok(trainLoss[trainLoss.length - 1]! < trainLoss[0]!, 'loss falls');
});

t.test('snapshots: every interval plus the end, loadable, softmax outputs; val each epoch', async (t) => {
  const dir = t.testdir();
  const { result, reports } = await run({ train_epochs: '2', snapshot_interval: '0.5' }, dir);
  t.same(result.snapshots.map((s) => s.epoch), [0.5, 1, 1.5, 2]);
  t.same(reports.filter((r) => r.phase === 'val').map((r) => r.epoch), [1, 2]);
  const val = reports.filter((r) => r.phase === 'val').at(-1)!.outputs;
  t.ok(val.accuracy!.value > 0.8 && val.accuracy!.value <= 1, `val accuracy ${val.accuracy!.value}`);
  t.equal(val.accuracy!.kind, 'Accuracy');
  const model = await loadModel(path.join(dir, 'snapshot_2'));
  const probs = tf.tidy(() => tf.sum(model.predict(tf.zeros([3, 28, 28, 1])) as tf.Tensor, 1).arraySync() as number[]);
  for (const p of probs) t.ok(Math.abs(p - 1) < 1e-5);
  model.dispose();
  t.notOk((await fs.readdir(dir)).some((f) => f.endsWith('.partial')), 'no half-written snapshot folders');
});

t.test('abort stops at the next iteration with JOB_ABORTED and leaks nothing', async (t) => {
  const before = tf.memory().numTensors;
  const controller = new AbortController();
  let last = 0;
  // aborted right after iteration 3: iteration 4 must not run
  const onIteration = (iteration: number) => { last = iteration; if (iteration === 3) controller.abort(); };
  await t.rejects(run({ train_epochs: '30' }, t.testdir(), { signal: controller.signal, onIteration }), { code: 'JOB_ABORTED' });
  t.equal(last, 3, 'no iteration after the abort');
  t.equal(tf.memory().numTensors, before);
});

t.test('a diverging network ends with TRAINING_DIVERGED', async (t) => {
  await t.rejects(run({ train_epochs: '1', learning_rate: '1e6', lr_policy: 'fixed' }, t.testdir()), { code: 'TRAINING_DIVERGED', message: /NaN.*decreasing your learning rate/ });
});

t.test('two replica threads train like one thread: same losses, one update per batch', async (t) => {
  const before = tf.memory().numTensors;
  // LeNet has no dropout and nothing here is augmented, so the two runs see the same numbers
  const fields = { train_epochs: '1', shuffle: 'false', snapshot_interval: '0' };
  const one = await run(fields, t.testdir(), {}, 1);
  const two = await run(fields, t.testdir(), {}, 2);
  t.equal(one.result.threads, 1);
  t.equal(two.result.threads, 2);
  const [a, b] = [losses(one.reports), losses(two.reports)];
  t.equal(a.length, b.length);
  a.forEach((loss, i) => t.ok(Math.abs(loss - b[i]!) <= 1e-3 * Math.max(1, loss), `report ${i}: ${loss} vs ${b[i]}`));
  const accuracy = (r: typeof one) => r.reports.filter((x) => x.phase === 'val').at(-1)!.outputs.accuracy!.value;
  t.ok(Math.abs(accuracy(one) - accuracy(two)) <= 0.01, `val accuracy ${accuracy(one)} vs ${accuracy(two)}`);
  t.equal(tf.memory().numTensors, before, 'replicas leave no tensors behind');
});

t.test('with batch accumulation, replicas reuse the published weights and still match one thread', async (t) => {
  const fields = { train_epochs: '1', batch_size: '32', batch_accumulation: '2', shuffle: 'false', snapshot_interval: '0', val_interval: '0' };
  const [a, b] = [losses((await run(fields, t.testdir(), {}, 1)).reports), losses((await run(fields, t.testdir(), {}, 2)).reports)];
  t.equal(a.length, b.length);
  a.forEach((loss, i) => t.ok(Math.abs(loss - b[i]!) <= 1e-3 * Math.max(1, loss), `report ${i}: ${loss} vs ${b[i]}`));
});

// Dropout draws its masks from the run's random_seed (TF.js alone seeds them from Math.random):
// the same seed repeats every loss, on the main thread and on a replica; another seed does not
t.test('a seeded run with dropout repeats its losses exactly; another seed differs', async (t) => {
  const prototxt = `
    layer { name: "data" type: "Data" top: "data" top: "label" }
    layer { name: "fc1" type: "InnerProduct" bottom: "data" top: "fc1" inner_product_param { num_output: 64 weight_filler { type: "xavier" } } }
    layer { name: "relu1" type: "ReLU" bottom: "fc1" top: "fc1" }
    layer { name: "drop1" type: "Dropout" bottom: "fc1" top: "fc1" dropout_param { dropout_ratio: 0.5 } }
    layer { name: "fc2" type: "InnerProduct" bottom: "fc1" top: "fc2" inner_product_param { weight_filler { type: "xavier" } } }
    layer { name: "loss" type: "SoftmaxWithLoss" bottom: "fc2" bottom: "label" top: "loss" }`;
  const small = await mnistSamples(0, 128);
  const lossesOf = async (seed: string) => {
    const network = buildCaffeNetwork(prototxt, { inputShape: [28, 28, 1], classes: 10, seed: 1 });
    const options = formOptions({ random_seed: seed, train_epochs: '1', batch_size: '16', snapshot_interval: '0', val_interval: '0', solver_type: 'ADAM', learning_rate: '0.001', lr_policy: 'fixed' });
    const reports: { phase: string; outputs: OutputValues }[] = [];
    try {
      await train(setupFor(network, small, null, options, t.testdir(), { threads: 2, keepThreads: true }), { onOutputs: (phase, _epoch, outputs) => { reports.push({ phase, outputs }); } });
    } finally {
      network.model.dispose();
    }
    return losses(reports);
  };
  const [a, b, c] = [await lossesOf('5'), await lossesOf('5'), await lossesOf('6')];
  t.ok(a.length >= 2, `${a.length} loss reports`);
  t.same(b, a, 'seed 5 twice: the same losses');
  t.notSame(c, a, 'seed 6: other masks, other losses');
});
