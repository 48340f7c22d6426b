import { tf, initBackend } from '../../packages/ml/src/tf.ts';
const mode = process.argv[2] ?? 'ours';
await initBackend('wasm', { wasmKernels: mode === 'ours' ? undefined : ['Conv2DBackpropFilter'] });
const cases: Array<[string, () => tf.Tensor]> = [];
function rnd(shape: number[]) { return tf.randomNormal(shape, 0, 1, 'float32', 1); }
const x1 = rnd([64, 28, 28, 1]), dy1 = rnd([64, 24, 24, 20]);
const x2 = rnd([64, 12, 12, 20]), dy2 = rnd([64, 8, 8, 50]), w2 = rnd([5, 5, 20, 50]);
const p1 = rnd([64, 24, 24, 20]), pdy1 = rnd([64, 12, 12, 20]);
const p2 = rnd([64, 8, 8, 50]), pdy2 = rnd([64, 4, 4, 50]);
const fa = rnd([64, 800]), fdy = rnd([64, 500]), fw = rnd([800, 500]);
const args = {
  bpf1: () => tf.engine().runKernel('Conv2DBackpropFilter', { x: x1, dy: dy1 }, { strides: 1, pad: 'valid', dataFormat: 'NHWC', filterShape: [5, 5, 1, 20] }) as tf.Tensor,
  bpf2: () => tf.engine().runKernel('Conv2DBackpropFilter', { x: x2, dy: dy2 }, { strides: 1, pad: 'valid', dataFormat: 'NHWC', filterShape: [5, 5, 20, 50] }) as tf.Tensor,
  bpi2: () => tf.conv2dTranspose(dy2 as tf.Tensor4D, w2 as tf.Tensor4D, [64, 12, 12, 20], 1, 'valid'),
  mpg1: () => tf.grad((x: tf.Tensor4D) => tf.maxPool(x, 2, 2, 'valid'))(p1 as tf.Tensor4D, pdy1),
  mpg2: () => tf.grad((x: tf.Tensor4D) => tf.maxPool(x, 2, 2, 'valid'))(p2 as tf.Tensor4D, pdy2),
  mmTA: () => tf.matMul(fa, fdy, true, false),
  mmTB: () => tf.matMul(fdy, fw, false, true),
  mmNN: () => tf.matMul(fa, fw),
  conv2fwd: () => tf.conv2d(x2 as tf.Tensor4D, w2 as tf.Tensor4D, 1, 'valid'),
};
for (const [name, f] of Object.entries(args)) {
  f().dispose();
  const n = 20; const t = performance.now();
  for (let i = 0; i < n; i++) { const r = f(); r.dataSync(); r.dispose(); }
  console.log(mode, name, ((performance.now() - t) / n).toFixed(2), 'ms');
}
