import { tf, initBackend } from '../../packages/ml/src/tf.ts';
await initBackend('wasm', { wasmKernels: ['Conv2DBackpropFilter'] });
const xs = [-3, -1, -2, -4, 1, 3, 2, 2];
for (const b of ['cpu', 'wasm']) {
  await tf.setBackend(b);
  const x = tf.tensor4d(xs, [2, 2, 2, 1]);
  const g = tf.grad((v: tf.Tensor) => tf.maxPool(v as tf.Tensor4D, 2, 2, 'valid'))(x);
  console.log(b, Array.from(g.dataSync()));
}
