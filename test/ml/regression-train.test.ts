// Regression heads (§8: euclidean / mean squared error) through the real loop: label vectors
// reach the loss in this thread and in replica threads alike, and validation reports the loss
// without accuracy.
import t from 'tap';
import { buildCustomNetwork, initBackend, tf, train, type OutputValues, type Samples } from '@digits-ts/ml';
import { formOptions, setupFor } from './train-helpers.ts';

await initBackend('wasm');

/** `count` 8×8 gray images whose two targets are their mean brightness and left-right contrast. */
function regressionSamples(count: number, seed: number): Samples {
  const pixels = new Uint8Array(count * 64);
  const targets = new Float32Array(count * 2);
  let state = seed;
  const random = () => ((state = (state * 1103515245 + 12345) >>> 0) / 2 ** 32);
  for (let i = 0; i < count; i++) {
    const base = 30 + random() * 170;
    const tilt = (random() - 0.5) * 50;
    for (let p = 0; p < 64; p++) pixels[i * 64 + p] = Math.round(base + (p % 8 < 4 ? -tilt : tilt));
    targets[i * 2] = base / 200;
    targets[i * 2 + 1] = tilt / 50;
  }
  return { height: 8, width: 8, channels: 1, count, pixels, labels: new Int32Array(count), targets, targetSize: 2 };
}

const NETWORK = JSON.stringify({ class_name: 'Sequential', config: { name: 'r', layers: [
  { class_name: 'Rescaling', config: { name: 'scale', scale: 0.005, offset: 0, batch_input_shape: [null, 8, 8, 1] } },
  { class_name: 'Flatten', config: { name: 'flat' } },
  { class_name: 'Dense', config: { name: 'out', units: 2 } },
] } });

for (const threads of [1, 2]) {
  t.test(`a layers JSON regression learns its label vectors (${threads} thread${threads > 1 ? 's' : ''})`, async (t) => {
    const before = tf.memory().numTensors;
    const network = await buildCustomNetwork(NETWORK, [8, 8, 1], null);
    t.same(network.heads, [{ loss: 'loss', weight: 1, kind: 'mse' }]);
    t.equal(network.deploy, network.model, 'a regression deploys its own outputs');
    const reports: { phase: string; outputs: OutputValues }[] = [];
    try {
      const options = formOptions({ random_seed: '5', train_epochs: '6', solver_type: 'ADAM', learning_rate: '0.01', lr_policy: 'fixed', batch_size: '16' });
      await train(setupFor(network, regressionSamples(512, 1), regressionSamples(128, 2), options, t.testdir(), { threads, keepThreads: true }), { onOutputs: (phase, _epoch, outputs) => { reports.push({ phase, outputs }); } });
    } finally {
      network.model.dispose();
    }
    const val = reports.filter((r) => r.phase === 'val').map((r) => r.outputs);
    t.equal(val[0]!.loss!.kind, 'MeanSquaredError');
    t.notOk('accuracy' in val[0]!, 'no accuracy for a regression');
    const first = val[0]!.loss!.value;
    const last = val.at(-1)!.loss!.value;
    t.ok(last < first / 4 && last < 0.01, `val MSE ${first.toFixed(4)} → ${last.toFixed(4)}`);
    t.equal(tf.memory().numTensors, before, 'no tensors left behind');
  });
}

t.test('a label vector of the wrong size never reaches training', async (t) => {
  const network = await buildCustomNetwork(NETWORK, [8, 8, 1], null);
  try {
    t.equal(network.model.outputs[0]!.shape[1], 2);
  } finally {
    network.model.dispose();
  }
  await t.rejects(buildCustomNetwork(NETWORK, [16, 16, 1], null), { code: 'MODEL_SHAPE_MISMATCH' });
});
