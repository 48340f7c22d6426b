import { tf } from '../../packages/ml/src/tf.ts';
import { initThreadedWasm } from './threaded-wasm.ts';
const threads = Number(process.argv[2] ?? 2);
const got = await initThreadedWasm(threads);
console.log('threads', got, tf.getBackend());
const a = tf.randomNormal([512, 512]); const w = tf.randomNormal([512, 512]);
for (let r = 0; r < 3; r++) { const t = performance.now(); for (let i = 0; i < 20; i++) tf.matMul(a, w).dispose(); console.log('matmul 512 ms', ((performance.now() - t) / 20).toFixed(2)); }
const x = tf.randomNormal([64, 12, 12, 20]); const f = tf.randomNormal([5, 5, 20, 50]);
for (let r = 0; r < 3; r++) { const t = performance.now(); for (let i = 0; i < 20; i++) tf.conv2d(x as tf.Tensor4D, f as tf.Tensor4D, 1, 'valid').dispose(); console.log('conv2 ms', ((performance.now() - t) / 20).toFixed(2)); }
process.exit(0);
