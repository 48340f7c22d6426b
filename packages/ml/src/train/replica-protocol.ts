/** Messages between the trainer and its replica threads (data-parallel training on CPU cores, or on several GPUs). */
import type { Augmentation } from '@digits-ts/contracts';
import type { HeadInfo } from '../networks/index.ts';
import type { BackendChoice } from '../tf.ts';
import type { GpuAdapter, GpuSelection } from '../webgpu/dawn.ts';

/** What a replica needs once: the model, the shared samples and the shared exchange buffers. */
export interface ReplicaInit {
  backend: BackendChoice;
  /** webgpu: the GPU this replica's own device runs on (default: the first adapter Vulkan lists). */
  gpu?: GpuSelection;
  /** `model.toJSON()` of the training graph (all heads). */
  topology: string;
  heads: HeadInfo[];
  /** Float32 weights of every trainable variable, concatenated in `model.trainableWeights` order; written by the trainer after each update. */
  weights: SharedArrayBuffer;
  /** Float32 gradients, same layout; written by the replica. */
  gradients: SharedArrayBuffer;
  samples: { pixels: SharedArrayBuffer; labels: SharedArrayBuffer; targets?: SharedArrayBuffer; targetSize?: number; count: number; height: number; width: number; channels: number };
  crop: number | null;
  mirror: boolean;
  mean: Float32Array | null;
  augmentation: Augmentation;
  seed: number;
  maxBatch: number;
}

/** Compute the gradients of the samples at `indices`; `fresh`: load the weights now in the buffer first. */
export interface ReplicaStep { indices: number[]; scale: number; fresh: boolean }

/** Gradients are in the buffer; `losses` are this share's per-head mean losses. The ready reply carries the replica's GPU on webgpu. */
export type ReplicaReply = { ok: true; losses: number[]; adapter?: GpuAdapter } | { ok: false; message: string };
