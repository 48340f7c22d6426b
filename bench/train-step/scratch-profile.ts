import { tf, initBackend } from '../../packages/ml/src/tf.ts';
import { buildLenet } from './lenet.ts';
import { mnistBatches } from './mnist-batches.ts';
import { trainStep } from './train-step.ts';
const mode = process.argv[2] ?? 'ours';
await initBackend('wasm', { wasmKernels: mode === 'ours' ? undefined : ['Conv2DBackpropFilter'] });
const model = buildLenet(); const opt = tf.train.momentum(0.01, 0.9);
const next = await mnistBatches(64);
for (let i = 0; i < 10; i++) trainStep(model, opt, next(i));
let ms = Infinity;
for (let r = 0; r < 5; r++) { const n = 10; const t = performance.now(); for (let i = 0; i < n; i++) trainStep(model, opt, next(i)); ms = Math.min(ms, (performance.now() - t) / n); }
console.log(mode, 'step', ms.toFixed(1), 'ms', (64000 / ms).toFixed(0), 'img/s');
const totals = new Map<string, [number, number]>();
const reps = 15;
for (let r = 0; r < reps; r++) {
  const info = await tf.profile(() => { trainStep(model, opt, next(r)); });
  for (const k of info.kernels) { const key = k.name + ' ' + JSON.stringify(k.inputShapes); if (k.name.endsWith('__op')) continue; const e = totals.get(key) ?? [Infinity, 0]; e[0] = Math.min(e[0], k.kernelTimeMs as number); e[1]++; totals.set(key, e); }
}
const sorted = [...totals].sort((a, b) => b[1][0] - a[1][0]);
let sum = 0; for (const [, v] of sorted) sum += v[0];
console.log('kernel total (sum of per-kernel minima)', sum.toFixed(1), 'ms/step');
for (const [k, v] of sorted.slice(0, 25)) console.log(v[0].toFixed(2).padStart(7), String(v[1] / reps).padStart(4), k);
