/**
 * The webgpu TF.js backend on an adapter we chose (the package's own factory asks
 * `navigator.gpu` for any adapter when it is imported), with our training kernels registered.
 */
import * as tf from '@tensorflow/tfjs-core';
import { GEMM_PARALLELISM_FLAG } from './kernels/gemm.ts';
import { registerWebgpuTrainingKernels, type WebgpuTrainingKernel } from './kernels/index.ts';
import type { DawnAdapter } from './dawn.ts';

/** Who hears that the GPU device was lost (a driver reset, a removed card): nothing runs on it after. */
const lostListeners = new Set<(reason: string) => void>();

/** Calls `listener` with the reason if this process's GPU device is lost; returns the unsubscribe. */
export function onGpuLost(listener: (reason: string) => void): () => void {
  lostListeners.add(listener);
  return () => lostListeners.delete(listener);
}

/** Above the package's priority, so nothing else claims the name first. */
const PRIORITY = 4;
/**
 * Workgroups a GEMM splits K to fill: about twice what a large GPU keeps resident; a software
 * adapter runs them on a few CPU cores, where splitting only adds work.
 */
const PARALLELISM = { gpu: 1024, software: 8 };

/**
 * Creates the device (the limits TF.js asks for, every feature it can use), registers it as the
 * `webgpu` backend and our kernels, and makes it the current backend. Resolves false when the
 * backend does not start.
 */
export async function startWebgpuBackend({ adapter, info }: DawnAdapter, kernels?: readonly WebgpuTrainingKernel[]): Promise<boolean> {
  const { WebGPUBackend } = await import('@tensorflow/tfjs-backend-webgpu');
  const limits = adapter.limits;
  const device = await adapter.requestDevice({
    requiredFeatures: (['timestamp-query'] as GPUFeatureName[]).filter((f) => adapter.features.has(f)),
    requiredLimits: {
      maxComputeWorkgroupStorageSize: limits.maxComputeWorkgroupStorageSize,
      maxComputeWorkgroupsPerDimension: limits.maxComputeWorkgroupsPerDimension,
      maxStorageBufferBindingSize: limits.maxStorageBufferBindingSize,
      maxBufferSize: limits.maxBufferSize,
      maxComputeWorkgroupSizeX: limits.maxComputeWorkgroupSizeX,
      maxComputeInvocationsPerWorkgroup: limits.maxComputeInvocationsPerWorkgroup,
    },
  });
  void device.lost.then((info) => lostListeners.forEach((listener) => listener(`${info.reason}: ${info.message}`)));
  if (tf.findBackendFactory('webgpu')) tf.removeBackend('webgpu');
  tf.registerBackend('webgpu', () => new WebGPUBackend(device, adapter.info), PRIORITY);
  registerWebgpuTrainingKernels(kernels);
  tf.env().set(GEMM_PARALLELISM_FLAG, info.software ? PARALLELISM.software : PARALLELISM.gpu);
  return tf.setBackend('webgpu');
}
