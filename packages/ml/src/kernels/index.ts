/**
 * Training kernels the wasm backend lacks (Conv2DBackpropFilter) or runs slowly (the rest).
 * Register them before `tf.setBackend('wasm')` so the replaced kernels' setup still runs.
 */
import type { KernelConfig } from '@tensorflow/tfjs-core';
// The package registers its own kernels on import; they must be there before we capture/replace them.
import '@tensorflow/tfjs-backend-wasm';
import { batchMatMulConfig } from './batch-mat-mul.ts';
import { conv2dBackpropFilterConfig } from './conv2d-backprop-filter.ts';
import { conv2dBackpropInputConfig } from './conv2d-backprop-input.ts';
import { maxPoolGradConfig } from './max-pool-grad.ts';
import { sumConfig } from './sum.ts';
import { replaceKernels } from './replace.ts';

const CONFIGS = {
  Conv2DBackpropFilter: conv2dBackpropFilterConfig,
  Conv2DBackpropInput: conv2dBackpropInputConfig,
  MaxPoolGrad: maxPoolGradConfig,
  BatchMatMul: batchMatMulConfig,
  Sum: sumConfig,
} as const satisfies Record<string, KernelConfig>;

/** Names of the kernels `registerWasmTrainingKernels` provides. */
export type WasmTrainingKernel = keyof typeof CONFIGS;
/** Every kernel we provide; Conv2DBackpropFilter is the one training cannot do without. */
export const WASM_TRAINING_KERNELS = Object.keys(CONFIGS) as WasmTrainingKernel[];

/**
 * Registers our wasm kernels (all of them by default; benchmarks pass a subset). Calling it again
 * is harmless. A kernel we replace keeps the package's `setupFunc`, because our version falls back
 * to the package's one for shapes it does not handle.
 */
export function registerWasmTrainingKernels(kernels: readonly WasmTrainingKernel[] = WASM_TRAINING_KERNELS): void {
  replaceKernels(CONFIGS, kernels);
}
