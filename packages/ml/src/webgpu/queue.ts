/**
 * The GPU runs behind JavaScript: a webgpu op returns once its work is queued. Code that times
 * work, or must not queue without bound, waits on these fences; on the CPU backends (synchronous)
 * they resolve at once.
 */
import * as tf from '@tensorflow/tfjs-core';

interface QueuedBackend {
  device: GPUDevice;
  commandEncoder: GPUCommandEncoder | null;
  endComputePassEncoder(): void;
  submitQueue(): void;
}

/** Resolves when everything queued so far has run on the GPU. */
export function queueDone(): Promise<void> {
  if (tf.getBackend() !== 'webgpu') return Promise.resolve();
  const backend = tf.backend() as unknown as QueuedBackend;
  // the backend batches dispatches until a batch fills: submit the partial one now
  backend.endComputePassEncoder();
  if (backend.commandEncoder) backend.submitQueue();
  return backend.device.queue.onSubmittedWorkDone();
}

/**
 * Keeps at most `depth` steps queued ahead of the GPU: JavaScript prepares the next batch while the
 * GPU runs the last one, but progress reports and memory stay within a step or two of the truth.
 */
export class RunAhead {
  private readonly pending: Promise<void>[] = [];

  constructor(private readonly depth = 2) {}

  /** Call after queueing a step. */
  async stepQueued(): Promise<void> {
    this.pending.push(queueDone());
    while (this.pending.length > this.depth) await this.pending.shift();
  }

  /** Waits for every queued step. */
  async drain(): Promise<void> {
    while (this.pending.length > 0) await this.pending.shift();
  }
}

/**
 * Training time: the wall time of the stretches of steps, with the work between them (reports,
 * validation, snapshots) left out. A stretch ends once the GPU has run what it queued.
 */
export class StepClock {
  private readonly ahead = new RunAhead();
  private started = performance.now();
  /** Milliseconds of training so far. */
  ms = 0;

  /** Call after queueing a step. */
  stepQueued(): Promise<void> {
    return this.ahead.stepQueued();
  }

  /** Ends the stretch (waiting for the GPU); `resume` starts the next. */
  async pause(): Promise<void> {
    await this.ahead.drain();
    this.ms += performance.now() - this.started;
  }

  resume(): void {
    this.started = performance.now();
  }
}
