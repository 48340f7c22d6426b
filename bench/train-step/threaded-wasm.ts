/**
 * Investigation: the threaded-SIMD wasm build in Node. The package never picks it in Node
 * (WASM_HAS_MULTITHREAD_SUPPORT is false there), and forcing the flag fails: its emscripten glue
 * starts pthread workers from a Blob URL, which Node's Worker rejects. Here we instantiate that
 * build ourselves with a real worker file and register it as the 'wasm' backend.
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { BackendWasm, setThreadsCount } from '@tensorflow/tfjs-backend-wasm';
import { tf } from '../../packages/ml/src/tf.ts';
import { registerWasmTrainingKernels } from '../../packages/ml/src/kernels/index.ts';

const require = createRequire(import.meta.url);

/** Makes 'wasm' the threaded-SIMD build with `threads` XNNPACK threads; returns the count it got. */
export async function initThreadedWasm(threads: number): Promise<number> {
  const wasmOut = path.join(path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'wasm-out');
  const factory = require(path.join(wasmOut, 'tfjs-backend-wasm-threaded-simd.js')) as (config: object) => Promise<Record<string, any>>;
  const { wasmWorkerContents } = require(path.join(wasmOut, 'tfjs-backend-wasm-threaded-simd.worker.js')) as { wasmWorkerContents: string };
  const workerFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'tfjs-wasm-')), 'worker.cjs');
  // The package escapes newlines the same way before making its Blob: the template literal turned
  // the script's "\n" escapes into real newlines.
  fs.writeFileSync(workerFile, wasmWorkerContents.replace(/\n/g, '\\n'));
  const emitter: NodeJS.EventEmitter = process;
  const before = new Set(emitter.listeners('uncaughtException').concat(emitter.listeners('unhandledRejection')));
  // The C++ side caps its thread pool at half the logical cores (it assumes two hyperthreads per
  // core), read once while the module starts: on a 2-vCPU machine that is one thread. Report
  // twice the CPUs during start-up so `threads` can take effect.
  const realCpus = os.cpus;
  os.cpus = () => [...realCpus(), ...realCpus()];
  let module: Record<string, any>;
  try {
    module = await factory({
      locateFile: (file: string) => (file.endsWith('.worker.js') ? workerFile : path.join(wasmOut, file)),
    });
  } finally {
    os.cpus = realCpus;
  }
  for (const event of ['uncaughtException', 'unhandledRejection']) {
    for (const l of emitter.listeners(event)) if (!before.has(l)) emitter.removeListener(event, l as () => void);
  }
  module.tfjs = {
    init: module.cwrap('init', null, []),
    initWithThreadsCount: module.cwrap('init_with_threads_count', null, ['number']),
    getThreadsCount: module.cwrap('get_threads_count', 'number', []),
    registerTensor: module.cwrap('register_tensor', null, ['number', 'number', 'number']),
    disposeData: module.cwrap('dispose_data', null, ['number']),
    dispose: module.cwrap('dispose', null, []),
  };
  setThreadsCount(threads);
  registerWasmTrainingKernels();
  tf.removeBackend('wasm');
  tf.registerBackend('wasm', () => new BackendWasm(module as never), 2);
  if (!(await tf.setBackend('wasm'))) throw new Error('Expected the threaded wasm backend to initialise but it did not');
  tf.env().set('PROD', true);
  return (module.tfjs.getThreadsCount as () => number)();
}
