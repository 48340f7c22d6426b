import { tf, initBackend } from '../../packages/ml/src/tf.ts';
await initBackend('wasm');
function rnd(shape: number[]) { return tf.randomNormal(shape, 0, 1, 'float32', 1); }
function time(name: string, f: () => tf.Tensor, n = 20) {
  f().dispose(); let best = Infinity;
  for (let r = 0; r < 5; r++) { const t = performance.now(); for (let i = 0; i < n; i++) f().dispose(); best = Math.min(best, (performance.now() - t) / n); }
  console.log(name.padEnd(50), best.toFixed(3), 'ms');
}
const x1 = rnd([64, 28, 28, 1]), dy1 = rnd([64, 24, 24, 20]);
time('bpf1 total', () => tf.engine().runKernel('Conv2DBackpropFilter', { x: x1, dy: dy1 }, { strides: 1, pad: 'valid', dataFormat: 'NHWC', filterShape: [5, 5, 1, 20] }) as tf.Tensor);
time('transpose dy1 [1,2,0,3]', () => tf.transpose(dy1, [1, 2, 0, 3]));
const xT = tf.transpose(x1, [3, 1, 2, 0]) as tf.Tensor4D, dyT = tf.transpose(dy1, [1, 2, 0, 3]) as tf.Tensor4D;
time('conv (fresh filter)', () => { const f = tf.clone(dyT); const r = tf.conv2d(xT, f, 1, 'valid'); f.dispose(); return r; });
time('conv (cached filter)', () => tf.conv2d(xT, dyT, 1, 'valid'));
const cols = rnd([25, 36864]), dyr = tf.reshape(dy1, [36864, 20]);
time('gemm colsT x dy (fresh b)', () => { const b = tf.clone(dyr); const r = tf.matMul(cols, b); b.dispose(); return r; });
time('gemm colsT x dy (cached b)', () => tf.matMul(cols, dyr));
const x2 = rnd([64, 12, 12, 20]), dy2 = rnd([64, 8, 8, 50]);
time('bpf2 total', () => tf.engine().runKernel('Conv2DBackpropFilter', { x: x2, dy: dy2 }, { strides: 1, pad: 'valid', dataFormat: 'NHWC', filterShape: [5, 5, 20, 50] }) as tf.Tensor);
const cols2 = rnd([500, 4096]), dyr2 = tf.reshape(dy2, [4096, 50]);
time('gemm colsT2 x dy2 (fresh b)', () => { const b = tf.clone(dyr2); const r = tf.matMul(cols2, b); b.dispose(); return r; });
time('gemm colsT2 x dy2 (cached b)', () => tf.matMul(cols2, dyr2));
const s = rnd([64, 24, 24, 20]);
time('sum [64,24,24,20] axes 0,1,2', () => tf.sum(s, [0, 1, 2]));
time('ones matmul', () => tf.tidy(() => tf.matMul(tf.ones([1, 36864]), tf.reshape(s, [36864, 20]))));
