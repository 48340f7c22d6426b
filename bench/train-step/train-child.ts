/**
 * One bench configuration in its own process (tfjs picks its backend once per process): trains
 * LeNet on MNIST and prints one JSON line, a `TrainResult`.
 *
 *   tsx bench/train-step/train-child.ts --backend wasm --kernels Conv2DBackpropFilter,MaxPoolGrad --steps 300
 *   tsx bench/train-step/train-child.ts --threads 2     (the threaded-SIMD build, all our kernels)
 */
import { parseArgs } from 'node:util';
import { initBackend, tf } from '../../packages/ml/src/tf.ts';
import { WASM_TRAINING_KERNELS, type WasmTrainingKernel } from '../../packages/ml/src/kernels/index.ts';
import { initThreadedWasm } from './threaded-wasm.ts';
import { profileKernels, totalsByKernel, type KernelTime } from './kernel-profile.ts';
import { buildLenet } from './lenet.ts';
import { mnistBatches } from './mnist-batches.ts';
import { trainStep } from './train-step.ts';

/** What one configuration measured. */
export interface TrainResult {
  backend: string;
  kernels: string[];
  batch: number;
  steps: number;
  /** Images per second over the best window of `window` steps, and the median window. */
  bestImagesPerSecond: number;
  medianImagesPerSecond: number;
  firstLoss: number;
  lastLoss: number;
  profile?: { top: KernelTime[]; byKernel: Array<{ kernel: string; ms: number }> };
}

const { values: args } = parseArgs({
  options: {
    backend: { type: 'string', default: 'wasm' },
    kernels: { type: 'string', default: '' },
    steps: { type: 'string', default: '300' },
    warmup: { type: 'string', default: '10' },
    window: { type: 'string', default: '20' },
    batch: { type: 'string', default: '64' },
    profile: { type: 'boolean', default: false },
    threads: { type: 'string', default: '0' },
  },
});
const threads = Number(args.threads);
// The threaded build always gets all our kernels.
const kernels = threads > 0 ? WASM_TRAINING_KERNELS : ((args.kernels ? args.kernels.split(',') : []) as WasmTrainingKernel[]);
const batch = Number(args.batch);
const steps = Number(args.steps);
const window = Number(args.window);

const info = threads > 0
  ? { name: `wasm threaded-simd (${await initThreadedWasm(threads)} threads)` }
  : await initBackend(args.backend as 'wasm' | 'cpu', { wasmKernels: kernels });
const model = buildLenet();
const optimizer = tf.train.momentum(0.01, 0.9);
const nextBatch = await mnistBatches(batch);

let step = 0;
const firstLoss = trainStep(model, optimizer, nextBatch(step++));
for (let i = 1; i < Number(args.warmup); i++) trainStep(model, optimizer, nextBatch(step++));
const rates: number[] = [];
let lastLoss = firstLoss;
for (let done = 0; done < steps; done += window) {
  const start = performance.now();
  for (let i = 0; i < window; i++) lastLoss = trainStep(model, optimizer, nextBatch(step++));
  rates.push((window * batch * 1000) / (performance.now() - start));
}
rates.sort((a, b) => a - b);

const result: TrainResult = {
  backend: info.name,
  kernels,
  batch,
  steps: rates.length * window,
  bestImagesPerSecond: rates[rates.length - 1]!,
  medianImagesPerSecond: rates[Math.floor(rates.length / 2)]!,
  firstLoss,
  lastLoss,
};
if (args.profile) {
  const top = await profileKernels(() => { trainStep(model, optimizer, nextBatch(step++)); }, 15);
  result.profile = { top: top.slice(0, 12), byKernel: totalsByKernel(top).slice(0, 12) };
}
console.log(JSON.stringify(result));
// The threaded build's pthread workers would keep the process alive.
process.exit(0);
