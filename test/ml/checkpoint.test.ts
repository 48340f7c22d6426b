// Resuming (DIGITS issue #24): a training stopped mid-epoch and continued from its checkpoint in a
// freshly built network ends with the same weights as one that never stopped — optimizer slots,
// iteration count (Adam's bias correction) and the epoch's sample order all carried over.
import fs from 'node:fs/promises';
import path from 'node:path';
import t from 'tap';
import { buildStandardNetwork, CHECKPOINT_DIR, initBackend, readCheckpointInfo, tf, train, type TrainHooks } from '@digits-ts/ml';
import { formOptions, mnistSamples, setupFor } from './train-helpers.ts';

await initBackend('wasm');
const trainSet = await mnistSamples(0, 640);
const valSet = await mnistSamples(50_000, 128);

/** LeNet trained by `fields` in `dir`; returns its final weights (as arrays) and the outputs reported. */
async function run(fields: Record<string, string>, dir: string, hooks: TrainHooks = {}, resume = false) {
  // shuffle on: the restored sample order is what keeps the runs equal
  const options = formOptions({ random_seed: '5', train_epochs: '2', snapshot_interval: '1', shuffle: 'true', ...fields });
  const network = buildStandardNetwork('lenet', { inputShape: [28, 28, 1], classes: 10, seed: 5 });
  try {
    const result = await train(setupFor(network, trainSet, valSet, options, dir, { resume }), hooks);
    return { result, weights: network.model.getWeights().map((w) => Float32Array.from(w.dataSync())) };
  } finally {
    network.model.dispose();
  }
}

function maxDifference(a: Float32Array[], b: Float32Array[]): number {
  let max = 0;
  a.forEach((wa, i) => wa.forEach((v, j) => { max = Math.max(max, Math.abs(v - b[i]![j]!)); }));
  return max;
}

for (const [solver, lr] of [['SGD', '0.01'], ['ADAM', '0.001'], ['ADADELTA', '1']] as const) {
  t.test(`${solver}: stopped at iteration 13 and resumed equals uninterrupted`, async (t) => {
    const fields = { solver_type: solver, learning_rate: lr, lr_policy: 'step', lr_step_size: '40', lr_step_gamma: '0.5' };
    const straight = await run(fields, t.testdir());
    const dir = t.testdir();
    const controller = new AbortController();
    const checkpoints: number[] = [];
    await t.rejects(run(fields, dir, {
      signal: controller.signal,
      onIteration: (iter) => { if (iter === 13) controller.abort(); },
      onCheckpoint: ({ iteration }) => { checkpoints.push(iteration); },
    }), { code: 'JOB_ABORTED' });
    t.same(checkpoints, [10, 13], 'checkpointed with the epoch-1 snapshot, and when stopped');
    const info = await readCheckpointInfo(dir);
    t.equal(info?.iteration, 13);
    t.equal(info?.epoch, 1.3);
    const resumed = await run(fields, dir, {}, true);
    t.equal(resumed.result.resumedFrom?.iteration, 13);
    t.same(resumed.result.snapshots.map((s) => s.epoch), [2], 'the resumed run writes the snapshots after the checkpoint');
    const diff = maxDifference(straight.weights, resumed.weights);
    t.ok(diff < 1e-5, `largest weight difference ${diff}`);
  });
}

t.test('a checkpoint that does not fit the training is refused, not half-loaded', async (t) => {
  const dir = t.testdir();
  const controller = new AbortController();
  await t.rejects(run({}, dir, { signal: controller.signal, onIteration: (iter) => { if (iter === 3) controller.abort(); } }), { code: 'JOB_ABORTED' });
  await t.rejects(run({ train_epochs: '3' }, dir, {}, true), { code: 'CHECKPOINT_INVALID' });
  const before = tf.memory().numTensors;
  await t.rejects(run({ batch_size: '32' }, dir, {}, true), { code: 'CHECKPOINT_INVALID' });
  t.equal(tf.memory().numTensors, before, 'nothing leaked by the refusal');
});

t.test('checkpoints are written atomically and on a timer', async (t) => {
  const dir = t.testdir();
  const checkpoints: number[] = [];
  await run({ snapshot_interval: '0' }, dir, { onCheckpoint: ({ iteration }) => { checkpoints.push(iteration); } });
  t.ok(checkpoints.length === 0, 'no timer, no snapshot before the end: no checkpoint');
  const timed: number[] = [];
  const options = formOptions({ random_seed: '5', train_epochs: '1', snapshot_interval: '0' });
  const network = buildStandardNetwork('lenet', { inputShape: [28, 28, 1], classes: 10, seed: 5 });
  await train(setupFor(network, trainSet, null, options, dir, { checkpointEveryMs: 1 }), { onCheckpoint: ({ iteration }) => { timed.push(iteration); } });
  network.model.dispose();
  t.same(timed, [1, 2, 3, 4, 5, 6, 7, 8, 9], 'every iteration but the last when the interval is tiny');
  const entries = await fs.readdir(dir);
  t.ok(entries.includes(CHECKPOINT_DIR));
  t.notOk(entries.some((e) => e.endsWith('.partial')), 'no half-written folder left');
  t.ok((await fs.stat(path.join(dir, CHECKPOINT_DIR, 'tensors.bin'))).size > 100_000, 'weights and optimizer slots stored');
});
