/**
 * Training kernels for the webgpu backend, registered over the package's own (which they fall
 * back to for cases they do not handle). Register before the first op runs on webgpu.
 */
import type { KernelConfig } from '@tensorflow/tfjs-core';
import { BATCH_PREP_KERNELS } from './batch-prep.ts';
import { replaceKernels } from '../../kernels/replace.ts';
import { CONVOLUTION_KERNELS, GROUP_CONV_KERNELS } from './convolutions.ts';
import { LRN_GRAD_KERNELS } from './lrn-grad.ts';
import { MATMUL_KERNELS } from './matmul.ts';
import { MAX_POOL_GRAD_KERNELS } from './max-pool-grad.ts';
import { MOMENTUM_UPDATE_KERNELS } from './momentum-update.ts';
import { SOFTMAX_CROSS_ENTROPY_KERNELS } from './softmax-cross-entropy.ts';

const CONFIGS = {
  ...CONVOLUTION_KERNELS,
  ...GROUP_CONV_KERNELS,
  ...LRN_GRAD_KERNELS,
  ...MAX_POOL_GRAD_KERNELS,
  ...MATMUL_KERNELS,
  ...MOMENTUM_UPDATE_KERNELS,
  ...SOFTMAX_CROSS_ENTROPY_KERNELS,
  ...BATCH_PREP_KERNELS,
} as const satisfies Record<string, KernelConfig>;

/** Names of the kernels `registerWebgpuTrainingKernels` provides. */
export type WebgpuTrainingKernel = keyof typeof CONFIGS;
/** Every kernel we provide. */
export const WEBGPU_TRAINING_KERNELS = Object.keys(CONFIGS) as WebgpuTrainingKernel[];

/** Registers our webgpu kernels (all by default; benchmarks pass a subset to measure each). */
export function registerWebgpuTrainingKernels(kernels: readonly WebgpuTrainingKernel[] = WEBGPU_TRAINING_KERNELS): void {
  replaceKernels(CONFIGS, kernels);
}
