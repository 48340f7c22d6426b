/**
 * The trainer on webgpu (lavapipe here) against the same training on wasm (our production CPU
 * engine, with a single thread): after a few solver steps LeNet's weights agree, for the SGD
 * family (webgpu's fused momentum update with Caffe's weight decay) and for Adam (TF.js' own).
 */
import t from 'tap';
import { buildStandardNetwork, initBackend, tf, train } from '@digits-ts/ml';
import { prepareWasm } from '../../packages/ml/src/tf.ts';
import { releaseCachedBuffers } from '../../packages/ml/src/webgpu/memory.ts';
import { formOptions, mnistSamples, setupFor } from './train-helpers.ts';
import { useLavapipe } from '../helpers/webgpu.ts';

useLavapipe();
await initBackend('webgpu');
prepareWasm();
const samples = await mnistSamples(0, 192);

async function trainedWeights(backend: 'wasm' | 'webgpu', fields: Record<string, string>, dir: string): Promise<{ weights: Float32Array[]; loss: number }> {
  await tf.setBackend(backend);
  const network = buildStandardNetwork('lenet', { inputShape: [28, 28, 1], classes: 10, seed: 9 });
  const options = formOptions({ train_epochs: '1', batch_size: '32', random_seed: '9', snapshot_interval: '0', val_interval: '0', ...fields });
  let loss = Number.NaN;
  try {
    await train(setupFor(network, samples, null, options, dir, { threads: 1 }), { onOutputs: (phase, _e, o) => { if (phase === 'train') loss = o.loss!.value; } });
    return { weights: await Promise.all(network.model.getWeights().map(async (w) => (await w.data()) as Float32Array)), loss };
  } finally {
    network.model.dispose();
  }
}

for (const solver of ['SGD', 'NESTEROV', 'ADAM']) {
  t.test(`${solver}: six steps on webgpu end where they end on wasm`, async (tt) => {
    const fields = { solver_type: solver, learning_rate: solver === 'ADAM' ? '0.001' : '0.01', lr_policy: 'step', lr_step_size: '50', lr_step_gamma: '0.5' };
    const cpu = await trainedWeights('wasm', fields, tt.testdir());
    const tensors = tf.memory().numTensors;
    const gpu = await trainedWeights('webgpu', fields, tt.testdir());
    tt.equal(tf.memory().numTensors, tensors, 'the webgpu training left no tensor behind');
    tt.ok(Math.abs(gpu.loss - cpu.loss) < 1e-4 * Math.max(1, cpu.loss), `last train loss ${gpu.loss} vs ${cpu.loss}`);
    cpu.weights.forEach((want, i) => {
      let worst = 0;
      let scale = 1e-6;
      want.forEach((v, j) => { worst = Math.max(worst, Math.abs(v - gpu.weights[i]![j]!)); scale = Math.max(scale, Math.abs(v)); });
      // Adam divides by √v: where a gradient is nearly zero it magnifies float rounding
      const tolerance = solver === 'ADAM' ? 1e-3 : 1e-4;
      tt.ok(worst / scale < tolerance, `weight ${i}: relative difference ${(worst / scale).toExponential(2)}`);
    });
  });
}

t.test('after a training the cached GPU buffers go back to the device', async (tt) => {
  await trainedWeights('webgpu', { solver_type: 'SGD', learning_rate: '0.01', lr_policy: 'fixed' }, tt.testdir());
  const manager = (tf.backend() as unknown as { bufferManager: { numFreeBuffers: number; numBytesAllocated: number; numBytesUsed: number } }).bufferManager;
  tt.ok(manager.numFreeBuffers > 0, `${manager.numFreeBuffers} buffers cached after the training`);
  const released = releaseCachedBuffers();
  tt.ok(released > 0, `${released} bytes given back`);
  tt.equal(manager.numFreeBuffers, 0);
  tt.equal(manager.numBytesAllocated, manager.numBytesUsed, 'only buffers in use stay allocated');
  tt.equal(releaseCachedBuffers(), 0, 'nothing more to give back');
});
