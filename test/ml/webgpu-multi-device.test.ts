/**
 * One LeNet training across two webgpu devices (the trainer's, and a replica thread with its own
 * Dawn device: on this machine two devices on lavapipe's software adapter, on a GPU host one per
 * GPU) against the same training on one device: the same loss at every step and the same weights.
 * The two runs differ only in float summation order (the batch's gradient is two half-batch means
 * added), so they agree to float32 rounding: 1e-4 relative.
 */
import t from 'tap';
import { buildStandardNetwork, initBackend, tf, train } from '@digits-ts/ml';
import { formOptions, mnistSamples, setupFor } from './train-helpers.ts';
import { lavapipeEnv } from '../helpers/webgpu.ts';

let unavailable: string | null = null;
try {
  Object.assign(process.env, lavapipeEnv());
  await initBackend('webgpu');
} catch (err) {
  unavailable = (err as Error).message;
}

interface Run { losses: number[]; weights: Float32Array[]; threads: number; devices: string[]; imagesPerSecond: number }

async function lenetRun(devices: number, dir: string): Promise<Run> {
  const samples = await mnistSamples(0, 192);
  const network = buildStandardNetwork('lenet', { inputShape: [28, 28, 1], classes: 10, seed: 5 });
  const options = formOptions({ train_epochs: '1', batch_size: '32', random_seed: '5', shuffle: 'true', snapshot_interval: '0', val_interval: '0', learning_rate: '0.01', lr_policy: 'fixed' });
  const losses: number[] = [];
  try {
    // replica r on the default adapter: a GPU host passes each GPU's selection here (the worker does)
    const setup = setupFor(network, samples, null, options, dir, { threads: devices, keepThreads: true, replicaGpus: Array.from({ length: devices - 1 }, () => ({ flags: [], env: {} })) });
    const result = await train(setup, { onOutputs: (phase, _e, o) => { if (phase === 'train') losses.push(o.loss!.value); } });
    const weights = await Promise.all(network.model.getWeights().map(async (w) => (await w.data()) as Float32Array));
    return { losses, weights, threads: result.threads, devices: result.replicaAdapters.map((a) => a.device), imagesPerSecond: result.imagesPerSecond };
  } finally {
    network.model.dispose();
  }
}

t.test('LeNet on two webgpu devices trains like one device', { skip: unavailable ? `webgpu is unavailable: ${unavailable}` : false }, async (t) => {
  const before = tf.memory().numTensors;
  const one = await lenetRun(1, t.testdir());
  const two = await lenetRun(2, t.testdir());
  t.equal(one.threads, 1);
  t.equal(two.threads, 2, 'the replica on the second device was kept');
  t.equal(two.devices.length, 1, `the replica thread ran its own webgpu device (${two.devices.join(', ')})`);
  t.equal(one.losses.length, 6, 'a loss reported at each of the 6 steps');
  t.equal(two.losses.length, one.losses.length);
  one.losses.forEach((loss, i) => t.ok(Math.abs(loss - two.losses[i]!) <= 1e-4 * Math.max(1, loss), `step ${i + 1}: ${loss} vs ${two.losses[i]}`));
  t.ok(one.losses.at(-1)! < one.losses[0]!, `the loss fell: ${one.losses[0]} → ${one.losses.at(-1)}`);
  one.weights.forEach((want, i) => {
    let worst = 0;
    let scale = 1e-6;
    want.forEach((v, j) => { worst = Math.max(worst, Math.abs(v - two.weights[i]![j]!)); scale = Math.max(scale, Math.abs(v)); });
    t.ok(worst / scale < 1e-4, `weight ${i}: relative difference ${(worst / scale).toExponential(2)}`);
  });
  t.comment(`images/s: one device ${one.imagesPerSecond.toFixed(1)}, two devices ${two.imagesPerSecond.toFixed(1)}`);
  t.equal(tf.memory().numTensors, before, 'the two-device run left no tensor behind');
});
