/**
 * One replica of the data-parallel prototype (see data-parallel.ts): its own wasm backend and LeNet
 * (same seed, so the same initial weights), gradients on its share of each batch, then the
 * average of every replica's gradients through shared memory, so all replicas apply the same update.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { initBackend, tf } from '../../packages/ml/src/tf.ts';
import { buildLenet } from './lenet.ts';
import { mnistBatches } from './mnist-batches.ts';
import { lossAndGrads } from './train-step.ts';

/** What the main thread hands each replica. */
export interface ReplicaData {
  rank: number;
  replicas: number;
  batch: number;
  steps: number;
  warmup: number;
  /** Steps per timing window. */
  window: number;
  /** [2 parities][replicas][parameters] float32: each step writes its own slot of one parity. */
  gradients: SharedArrayBuffer;
  /** Barrier state: [arrived, generation]. */
  barrier: SharedArrayBuffer;
}

const data = workerData as ReplicaData;
const counters = new Int32Array(data.barrier);

/** Waits until every replica has arrived (a generation-counting barrier on Atomics). */
function barrier(): void {
  const generation = Atomics.load(counters, 1);
  if (Atomics.add(counters, 0, 1) === data.replicas - 1) {
    Atomics.store(counters, 0, 0);
    Atomics.add(counters, 1, 1);
    Atomics.notify(counters, 1);
  } else {
    while (Atomics.load(counters, 1) === generation) Atomics.wait(counters, 1, generation);
  }
}

await initBackend('wasm');
const model = buildLenet();
const optimizer: tf.Optimizer = tf.train.momentum(0.01, 0.9);
const share = data.batch / data.replicas;
const nextBatch = await mnistBatches(share);
const weights = model.trainableWeights.map((w) => {
  const shape = w.shape as number[];
  return { name: w.originalName, size: shape.reduce((a, b) => a * b, 1), shape };
});
const parameters = weights.reduce((a, w) => a + w.size, 0);
const slots = new Float32Array(data.gradients);
const slot = (parity: number, rank: number) => slots.subarray((parity * data.replicas + rank) * parameters, (parity * data.replicas + rank + 1) * parameters);
const average = new Float32Array(parameters);

function step(index: number): number {
  // Replica r takes the r-th share of global batch `index`.
  const { loss, grads } = lossAndGrads(model, nextBatch(index * data.replicas + data.rank));
  const mine = slot(index % 2, data.rank);
  let offset = 0;
  for (const w of weights) {
    mine.set(grads[w.name]!.dataSync() as Float32Array, offset);
    offset += w.size;
  }
  tf.dispose(grads);
  barrier();
  average.set(slot(index % 2, 0));
  for (let r = 1; r < data.replicas; r++) {
    const other = slot(index % 2, r);
    for (let i = 0; i < parameters; i++) average[i]! += other[i]!;
  }
  for (let i = 0; i < parameters; i++) average[i]! /= data.replicas;
  offset = 0;
  const averaged: tf.NamedTensorMap = {};
  for (const w of weights) {
    averaged[w.name] = tf.tensor(average.subarray(offset, offset + w.size), w.shape);
    offset += w.size;
  }
  optimizer.applyGradients(averaged);
  tf.dispose(averaged);
  const value = loss.dataSync()[0]!;
  loss.dispose();
  return value;
}

for (let i = 0; i < data.warmup; i++) step(i);
barrier();
const start = performance.now();
let windowStart = start;
const windowSeconds: number[] = [];
let lastLoss = 0;
for (let i = 0; i < data.steps; i++) {
  lastLoss = step(data.warmup + i);
  if ((i + 1) % data.window === 0) {
    const now = performance.now();
    windowSeconds.push((now - windowStart) / 1000);
    windowStart = now;
  }
}
const seconds = (performance.now() - start) / 1000;
const checksum = model.trainableWeights.reduce((a, w) => a + (tf.sum(w.read()).dataSync()[0] ?? 0), 0);
parentPort!.postMessage({ rank: data.rank, seconds, windowSeconds, lastLoss, checksum, parameters });
