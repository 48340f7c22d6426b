/**
 * BatchMatMul for wasm. The package sends only an untransposed, batch-1 product to XNNPACK and runs
 * transposed operands (what every dense layer's backward pass asks for: xᵀ·dy and dy·Wᵀ) through a
 * slow generic loop. Batch-1 products go through `matMul2D` instead; real batches keep the
 * package's kernel (no layer we train uses them).
 */
import { BatchMatMul, util, type BatchMatMulAttrs, type KernelConfig, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { matMul2D } from './mat-mul-2d.ts';
import { callWasmKernel } from './wasm-kernel-calls.ts';

/** The same data seen as its last two axes (only valid when the leading axes hold one element). */
function asMatrix(x: TensorInfo): TensorInfo {
  return { dataId: x.dataId, shape: x.shape.slice(-2), dtype: x.dtype };
}

function batchMatMul(args: { inputs: { a: TensorInfo; b: TensorInfo }; backend: BackendWasm; attrs: BatchMatMulAttrs }): TensorInfo {
  const { inputs: { a, b }, backend, attrs } = args;
  const batchA = util.sizeFromShape(a.shape.slice(0, -2));
  const batchB = util.sizeFromShape(b.shape.slice(0, -2));
  if (batchA !== 1 || batchB !== 1 || a.dtype !== 'float32' || b.dtype !== 'float32') {
    return callWasmKernel(backend, BatchMatMul, { a, b }, { ...attrs });
  }
  const product = matMul2D(backend, asMatrix(a), asMatrix(b), attrs);
  const outerRank = Math.max(a.shape.length, b.shape.length) - 2;
  return { ...product, shape: [...Array<number>(outerRank).fill(1), ...product.shape] };
}

/** BatchMatMul that sends transposed batch-1 products through XNNPACK too. */
export const batchMatMulConfig: KernelConfig = {
  kernelName: BatchMatMul,
  backendName: 'wasm',
  kernelFunc: batchMatMul as unknown as KernelFunc,
};
