import { tf, initBackend } from '../../packages/ml/src/tf.ts';
await initBackend('wasm', { wasmKernels: ['Conv2DBackpropFilter'] });
function rnd(shape: number[]) { return tf.randomNormal(shape, 0, 1, 'float32', 1); }
function time(name: string, f: () => tf.Tensor, n = 30) {
  f().dispose(); const t = performance.now();
  for (let i = 0; i < n; i++) f().dispose();
  console.log(name.padEnd(40), ((performance.now() - t) / n).toFixed(3), 'ms');
}
const x = rnd([64, 800]), w = rnd([800, 500]), wt = rnd([500, 800]), xt = rnd([800, 64]);
time('matmul cached [64,800]x[800,500]', () => tf.matMul(x, w));
time('matmul fresh b [64,800]x[800,500]', () => { const w2 = w.clone(); const r = tf.matMul(x, w2); w2.dispose(); return r; });
time('clone 400k', () => w.clone());
time('transpose [800,500]', () => tf.transpose(w));
time('transpose [64,800]', () => tf.transpose(x));
time('matmul fresh b [500,800]x[800,64]', () => { const b = xt.clone(); const r = tf.matMul(wt, b); b.dispose(); return r; });
time('matmul cached [500,800]x[800,64]', () => tf.matMul(wt, xt));
const big = rnd([4096, 50]), wb = rnd([50, 500]);
time('matmul fresh b [4096,50]x[50,500]', () => { const b = wb.clone(); const r = tf.matMul(big, b); b.dispose(); return r; });
const c1 = rnd([36864, 20]), w1 = rnd([20, 25]);
time('matmul fresh b [36864,20]x[20,25]', () => { const b = w1.clone(); const r = tf.matMul(c1, b); b.dispose(); return r; });
const t1 = rnd([4, 8]), t2 = rnd([8, 4]);
time('matmul fresh tiny', () => { const b = t2.clone(); const r = tf.matMul(t1, b); b.dispose(); return r; });
time('matmul cached tiny', () => tf.matMul(t1, t2));
const u1 = rnd([64, 800]), u2 = rnd([800, 64]);
time('matmul fresh [64,800]x[800,64]', () => { const b = u2.clone(); const r = tf.matMul(u1, b); b.dispose(); return r; });
time('matmul cached [64,800]x[800,64]', () => tf.matMul(u1, u2));
const s = rnd([64, 24, 24, 20]);
time('sum [64,24,24,20] axes 0,1,2', () => tf.sum(s, [0, 1, 2]));
time('reshape+matmul ones', () => tf.tidy(() => tf.matMul(tf.ones([1, 36864]), tf.reshape(s, [36864, 20]))));
time('relu [64,24,24,20]', () => tf.relu(s));
time('fill zeros', () => tf.zeros([64, 24, 24, 20]));
