/**
 * Replica thread entry: holds a copy of the training graph on its own backend, and for each
 * step reads the trainer's weights, computes the gradients of its share of the batch and writes
 * them back. The trainer applies the update, so replicas keep no optimizer state. On webgpu each
 * replica thread opens its own Dawn instance and device (one GPU each); it reads tensors with
 * `data()`, as webgpu in Node cannot read synchronously.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { createRandom } from '@digits-ts/dataset';
import '../networks/index.ts'; // registers the custom layers the topology may name
import { initBackend, tf, tfl } from '../tf.ts';
import { fillBatch, inputShapeOf } from '../batches/fill.ts';
import { headLosses, labelTensors, targetBuffer } from './losses.ts';
import type { ReplicaInit, ReplicaReply, ReplicaStep } from './replica-protocol.ts';
import type { Samples } from '../batches/samples.ts';

const init = workerData as ReplicaInit;
const backend = await initBackend(init.backend, init.gpu ? { gpu: init.gpu } : {});
const model = await tfl.models.modelFromJSON(JSON.parse(init.topology) as never);
const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
const weights = new Float32Array(init.weights);
const gradients = new Float32Array(init.gradients);
const { targets, ...shape } = init.samples;
const samples: Samples = {
  ...shape,
  pixels: new Uint8Array(init.samples.pixels),
  labels: new Int32Array(init.samples.labels),
  ...(targets ? { targets: new Float32Array(targets) } : {}),
};
const batch = { crop: init.crop, mirror: init.mirror, mean: init.mean, augmentation: init.augmentation, train: true, random: createRandom(init.seed) };
const [h, w, c] = inputShapeOf(samples, init.crop);
const x = new Float32Array(init.maxBatch * h * w * c);
const y = new Int32Array(init.maxBatch);
const t = targetBuffer(init.heads, init.maxBatch, samples.targetSize);

function loadWeights(): void {
  let offset = 0;
  for (const v of vars) {
    const size = v.size;
    tf.tidy(() => v.assign(tf.tensor(weights.subarray(offset, offset + size), v.shape)));
    offset += size;
  }
}

async function step({ indices, scale, fresh }: ReplicaStep): Promise<number[]> {
  if (fresh) loadWeights();
  const n = indices.length;
  fillBatch(samples, indices, batch, x, y, t ?? undefined);
  const { grads, losses } = tf.tidy(() => {
    const input = tf.tensor4d(x.subarray(0, n * h * w * c), [n, h, w, c]);
    const labels = labelTensors(y, t, n, samples.targetSize ?? 1);
    let losses: tf.Scalar[] = [];
    const { grads } = tf.variableGrads(() => {
      losses = headLosses(model, init.heads, input, labels, batch.random).map((l) => tf.keep(l));
      return tf.addN(losses.map((l, i) => tf.mul(l, init.heads[i]!.weight * scale))) as tf.Scalar;
    }, vars);
    return { grads, losses };
  });
  try {
    const read = await Promise.all(vars.map((v) => grads[v.name]!.data() as Promise<Float32Array>));
    let offset = 0;
    read.forEach((values, i) => {
      gradients.set(values, offset);
      offset += vars[i]!.size;
    });
    return (await Promise.all(losses.map((l) => l.data()))).map((v) => v[0]!);
  } finally {
    tf.dispose([grads, losses]);
  }
}

parentPort!.on('message', async (message: ReplicaStep | 'close') => {
  if (message === 'close') {
    model.dispose();
    parentPort!.close();
    return;
  }
  let reply: ReplicaReply;
  try {
    reply = { ok: true, losses: await step(message) };
  } catch (err) {
    reply = { ok: false, message: (err as Error).message };
  }
  parentPort!.postMessage(reply);
});
parentPort!.postMessage({ ok: true, losses: [], ...(backend.adapter ? { adapter: backend.adapter } : {}) } satisfies ReplicaReply);
