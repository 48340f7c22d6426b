/**
 * Benchmark: LeNet training steps (batch 64, SGD momentum, real MNIST) on the wasm backend, with
 * the package's kernels and then with ours added one at a time, against PyTorch CPU on the same
 * two cores (1821 img/s). Each configuration runs in its own process.
 *
 *   npx tsx bench/train-step/run.ts [--steps 300] [--profile] [--with-cpu]
 */
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import { parseArgs } from 'node:util';
import { WASM_TRAINING_KERNELS } from '../../packages/ml/src/kernels/index.ts';
import type { TrainResult } from './train-child.ts';

const PYTORCH_CPU_IMAGES_PER_SECOND = 1821;
const TARGET_RATIO = 0.6;

const { values: args } = parseArgs({
  options: {
    steps: { type: 'string', default: '300' },
    profile: { type: 'boolean', default: false },
    'with-cpu': { type: 'boolean', default: false },
  },
});

interface Config { label: string; backend: 'wasm' | 'cpu'; kernels: string[]; steps: string; window: string; warmup: string }

/** Training cannot run at all without Conv2DBackpropFilter, so "stock" means stock plus that one; then ours are added one at a time. */
const configs: Config[] = [
  ...(args['with-cpu'] ? [{ label: 'cpu backend', backend: 'cpu' as const, kernels: [], steps: '4', window: '2', warmup: '1' }] : []),
  ...WASM_TRAINING_KERNELS.map((kernel, i) => ({
    label: i === 0 ? `wasm stock + ${kernel}` : `+ ${kernel}${i === WASM_TRAINING_KERNELS.length - 1 ? ' (all ours)' : ''}`,
    backend: 'wasm' as const,
    kernels: WASM_TRAINING_KERNELS.slice(0, i + 1),
    steps: args.steps,
    window: '20',
    warmup: '10',
  })),
];

function runConfig(config: Config, profile: boolean): TrainResult {
  const child = new URL('./train-child.ts', import.meta.url).pathname;
  const childArgs = ['--import', 'tsx', child, '--backend', config.backend, '--kernels', config.kernels.join(','), '--steps', config.steps, '--window', config.window, '--warmup', config.warmup];
  if (profile) childArgs.push('--profile');
  const result = spawnSync(process.execPath, childArgs, { encoding: 'utf8', maxBuffer: 1 << 24 });
  const line = result.stdout.trim().split('\n').pop() ?? '';
  if (result.status !== 0 || !line.startsWith('{')) throw new Error(`${config.label} failed (exit ${result.status}):\n${result.stderr.slice(-2000)}`);
  return JSON.parse(line) as TrainResult;
}

const fmt = (n: number) => Math.round(n).toString().padStart(6);
console.log(`LeNet training, batch 64, ${os.cpus().length} cores, load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
console.log(`anchor: PyTorch CPU ${PYTORCH_CPU_IMAGES_PER_SECOND} img/s; target ≥ ${TARGET_RATIO}× = ${Math.round(PYTORCH_CPU_IMAGES_PER_SECOND * TARGET_RATIO)} img/s\n`);
console.log(`${'configuration'.padEnd(36)}  best img/s  median img/s  best/anchor  loss first → last`);
let last: TrainResult | null = null;
for (const [i, config] of configs.entries()) {
  const profile = args.profile && config.backend === 'wasm' && (i === configs.length - 1 || config.kernels.length === 1);
  const r = runConfig(config, profile);
  console.log(`${config.label.padEnd(36)}  ${fmt(r.bestImagesPerSecond)}      ${fmt(r.medianImagesPerSecond)}        ${(r.bestImagesPerSecond / PYTORCH_CPU_IMAGES_PER_SECOND).toFixed(2)}×       ${r.firstLoss.toFixed(3)} → ${r.lastLoss.toFixed(3)}`);
  if (r.profile) {
    console.log(`    top kernels (best of 15 profiled steps, ms): ${r.profile.byKernel.slice(0, 8).map((k) => `${k.kernel} ${k.ms.toFixed(1)}`).join(', ')}`);
  }
  last = r;
}
if (last) {
  const ratio = last.bestImagesPerSecond / PYTORCH_CPU_IMAGES_PER_SECOND;
  console.log(`\nall ours: ${ratio.toFixed(2)}× PyTorch CPU (${ratio >= TARGET_RATIO ? 'meets' : 'below'} the ${TARGET_RATIO}× target)`);
}
console.log(`load average now ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
