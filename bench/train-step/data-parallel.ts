/**
 * Prototype: data-parallel LeNet training in worker threads, one wasm backend each, to see what
 * the second core gives. Each replica computes gradients on its share of the batch; they average
 * them through a SharedArrayBuffer and apply the same update, so the weights stay identical
 * (checked by a checksum at the end).
 *
 *   npx tsx bench/train-step/data-parallel.ts [--replicas 2] [--steps 200]
 */
import os from 'node:os';
import { parseArgs } from 'node:util';
import { Worker } from 'node:worker_threads';
import type { ReplicaData } from './data-parallel-worker.ts';

const { values: args } = parseArgs({
  options: {
    replicas: { type: 'string', default: '2' },
    steps: { type: 'string', default: '200' },
    warmup: { type: 'string', default: '10' },
    batch: { type: 'string', default: '64' },
    window: { type: 'string', default: '20' },
  },
});
const replicas = Number(args.replicas);
const batch = Number(args.batch);
const steps = Number(args.steps);
if (batch % replicas !== 0) throw new Error(`Expected batch divisible by replicas but received batch ${batch} and ${replicas} replicas`);

/** LeNet's trainable parameters: 20·25+20 + 50·500+50 + 800·500+500 + 500·10+10. */
const LENET_PARAMETERS = 431_080;
interface ReplicaResult { rank: number; seconds: number; windowSeconds: number[]; lastLoss: number; checksum: number; parameters: number }

const gradients = new SharedArrayBuffer(2 * replicas * LENET_PARAMETERS * 4);
const barrier = new SharedArrayBuffer(8);
const workerFile = new URL('./data-parallel-worker.ts', import.meta.url).href;
/** Worker threads do not inherit tsx's loader from `--import`; register it, then load the replica. */
const workerBoot = `import('tsx/esm/api').then(({ register }) => { register(); return import(${JSON.stringify(workerFile)}); })`;

console.log(`data-parallel LeNet: ${replicas} replicas × batch ${batch / replicas}, ${steps} steps, ${os.cpus().length} cores, load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
const results = await Promise.all(Array.from({ length: replicas }, (_, rank) => new Promise<ReplicaResult>((resolve, reject) => {
  const data: ReplicaData = { rank, replicas, batch, steps, warmup: Number(args.warmup), window: Number(args.window), gradients, barrier };
  const worker = new Worker(workerBoot, { eval: true, workerData: data });
  worker.once('message', resolve);
  worker.once('error', reject);
})));
const seconds = Math.max(...results.map((r) => r.seconds));
if (results[0]!.parameters !== LENET_PARAMETERS) throw new Error(`Expected ${LENET_PARAMETERS} parameters but the model has ${results[0]!.parameters}`);
// Replicas move in lockstep, so one replica's windows time the whole group.
const rates = results[0]!.windowSeconds.map((s) => (Number(args.window) * batch) / s).sort((a, b) => a - b);
console.log(`best window ${Math.round(rates[rates.length - 1]!)} img/s, median window ${Math.round(rates[rates.length >> 1]!)} img/s, whole run ${Math.round((steps * batch) / seconds)} img/s`);
console.log(`last loss ${results.map((r) => r.lastLoss.toFixed(3)).join(' / ')}`);
console.log(`weight checksums ${results.map((r) => r.checksum.toFixed(6)).join(' / ')} (${new Set(results.map((r) => r.checksum)).size === 1 ? 'identical' : 'DIFFERENT'})`);
console.log(`load average now ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
