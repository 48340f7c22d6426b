/**
 * The trainer's side of data-parallel training: one replica thread per extra CPU core, or on
 * webgpu per extra GPU (each thread its own device). Each step the trainer publishes its weights,
 * hands a replica its share of the batch, computes its own share meanwhile, then averages the
 * gradients — one update, as if one thread ran the batch.
 */
import { Worker } from 'node:worker_threads';
import { Errors } from '@digits-ts/contracts';
import { backendInfo, tf, type BackendChoice } from '../tf.ts';
import type { ReplicaInit, ReplicaReply, ReplicaStep } from './replica-protocol.ts';
import type { Samples } from '../batches/samples.ts';
import type { GpuAdapter, GpuSelection } from '../webgpu/dawn.ts';
import type { TrainSetup } from './trainer.ts';

/** `view` in shared memory (copied once unless it is already), so every replica reads the same bytes. */
function shared(view: Uint8Array | Int32Array | Float32Array): SharedArrayBuffer {
  if (view.buffer instanceof SharedArrayBuffer && view.byteOffset === 0 && view.byteLength === view.buffer.byteLength) return view.buffer;
  const buffer = new SharedArrayBuffer(view.byteLength);
  new Uint8Array(buffer).set(new Uint8Array(view.buffer, view.byteOffset, view.byteLength));
  return buffer;
}

export class Replica {
  private pending: ((reply: ReplicaReply) => void) | null = null;
  private failure: Error | null = null;
  private readonly weights: Float32Array;
  private readonly gradients: Float32Array;
  /** The GPU the replica's device runs on (webgpu). */
  adapter: GpuAdapter | null = null;

  private constructor(private readonly worker: Worker, weights: SharedArrayBuffer, gradients: SharedArrayBuffer, private readonly vars: tf.Variable[]) {
    this.weights = new Float32Array(weights);
    this.gradients = new Float32Array(gradients);
    worker.on('message', (reply: ReplicaReply) => this.settle(reply));
    worker.on('error', (err) => this.settle({ ok: false, message: err.message }));
    worker.on('exit', (code) => this.settle({ ok: false, message: `replica thread exited with code ${code}` }));
  }

  private settle(reply: ReplicaReply): void {
    const resolve = this.pending;
    this.pending = null;
    if (!reply.ok) this.failure ??= new Error(reply.message);
    resolve?.(reply);
  }

  private next(): Promise<ReplicaReply> {
    if (this.failure) return Promise.resolve({ ok: false, message: this.failure.message });
    return new Promise((resolve) => { this.pending = resolve; });
  }

  /**
   * Starts a replica of `setup.network.model` that reads its batches' positions in `samples`
   * (the training split in memory, or a streamed split's ring); resolves when it is ready for its first step.
   * `gpu`: on webgpu, the GPU its device runs on.
   */
  static async start(setup: TrainSetup, samples: Samples, vars: tf.Variable[], seed: number, maxBatch: number, gpu?: GpuSelection): Promise<Replica> {
    const total = vars.reduce((n, v) => n + v.size, 0);
    const weights = new SharedArrayBuffer(total * 4);
    const gradients = new SharedArrayBuffer(total * 4);
    const init: ReplicaInit = {
      backend: (backendInfo()?.name ?? 'cpu') as BackendChoice,
      ...(gpu ? { gpu } : {}),
      topology: JSON.stringify(setup.network.model.toJSON(null, false)),
      heads: setup.network.heads,
      weights, gradients,
      samples: {
        pixels: shared(samples.pixels), labels: shared(samples.labels),
        ...(samples.targets ? { targets: shared(samples.targets), targetSize: samples.targetSize } : {}),
        count: samples.count, height: samples.height, width: samples.width, channels: samples.channels,
      },
      crop: setup.crop, mirror: setup.mirror, mean: setup.mean, augmentation: setup.options.augmentation, seed, maxBatch,
    };
    // the Vulkan loader reads the process's real environment, which only the main thread writes:
    // set the replica's GPU choice while its Dawn instance starts, one replica at a time
    const saved = Object.keys(gpu?.env ?? {}).map((k) => [k, process.env[k]] as const);
    Object.assign(process.env, gpu?.env ?? {});
    try {
      const worker = new Worker(new URL('./replica-bootstrap.mjs', import.meta.url), { workerData: { ...init, entry: new URL('./replica-thread.ts', import.meta.url).href } });
      const replica = new Replica(worker, weights, gradients, vars);
      const ready = await replica.next();
      if (!ready.ok) {
        await replica.close();
        throw Errors.INTERNAL(`a training replica did not start: ${ready.message}`);
      }
      replica.adapter = ready.adapter ?? null;
      return replica;
    } finally {
      for (const [k, v] of saved) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    }
  }

  /**
   * Asks for the gradients of the samples at `indices` (positions in its samples), first publishing the current weights unless they are
   * unchanged since the last call (the later batches of one accumulated iteration).
   */
  begin(indices: number[], scale: number, publish: boolean): Promise<ReplicaReply> {
    const reply = this.next();
    const post = () => this.worker.postMessage({ indices, scale, fresh: publish } satisfies ReplicaStep);
    if (!publish) post();
    else if (tf.getBackend() === 'webgpu') {
      // webgpu reads only asynchronously (the reads are queued before this thread's own share)
      return Promise.all(this.vars.map((v) => v.data() as Promise<Float32Array>)).then((read) => {
        this.publish(read);
        post();
        return reply;
      });
    } else {
      // the CPU backends read at once, so the replica starts before this thread's share blocks it
      this.publish(this.vars.map((v) => v.dataSync() as Float32Array));
      post();
    }
    return reply;
  }

  private publish(values: Float32Array[]): void {
    let offset = 0;
    values.forEach((v) => {
      this.weights.set(v, offset);
      offset += v.length;
    });
  }

  /** The replica's gradients as tensors keyed like `tf.variableGrads`' result. */
  gradientTensors(): tf.NamedTensorMap {
    const out: tf.NamedTensorMap = {};
    let offset = 0;
    for (const v of this.vars) {
      out[v.name] = tf.tensor(this.gradients.slice(offset, offset + v.size), v.shape);
      offset += v.size;
    }
    return out;
  }

  async close(): Promise<void> {
    this.worker.postMessage('close');
    await this.worker.terminate().catch(() => 0);
  }
}
