import { tf, initBackend } from '/work/main/packages/ml/src/tf.ts';
await initBackend('wasm');
console.log(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT'), await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT'));
const b = tf.backend() as any; console.log(Object.keys(b.wasm).filter(k=>/simd|thread|PThread/i.test(k)), b.wasm.tfjs.getThreadsCount());
