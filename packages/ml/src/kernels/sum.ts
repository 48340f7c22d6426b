/**
 * Sum for wasm. Training sums gradients over all leading axes (every bias gradient: over batch and
 * pixels); the package's kernel first transposes the kept axis to the front. A product with a row
 * of ones, [1, n] · x as [n, c], does the same sum through XNNPACK in one pass. Other reductions
 * and non-float tensors keep the package's kernel.
 */
import { Sum, util, type KernelConfig, type KernelFunc, type SumAttrs, type TensorInfo } from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { callWasmKernel, disposeAll, heapFloat32, viewAs } from './wasm-kernel-calls.ts';

/** How many leading axes `axis` reduces, or 0 when it is not a run of leading axes (or is all of them). */
function leadingAxes(shape: number[], axis: number | number[]): number {
  const axes = [...new Set(util.parseAxisParam(axis, shape))].sort((a, b) => a - b);
  const isLeadingRun = axes.every((a, i) => a === i);
  return isLeadingRun && axes.length < shape.length ? axes.length : 0;
}

function sum(args: { inputs: { x: TensorInfo }; backend: BackendWasm; attrs: SumAttrs }): TensorInfo {
  const { inputs: { x }, backend, attrs } = args;
  const reduced = x.dtype === 'float32' ? leadingAxes(x.shape, attrs.axis) : 0;
  if (reduced === 0) return callWasmKernel(backend, Sum, { x }, { ...attrs });
  const rows = util.sizeFromShape(x.shape.slice(0, reduced));
  const kept = x.shape.slice(reduced);
  const ones = backend.makeOutput([1, rows], 'float32');
  heapFloat32(backend, ones).fill(1);
  const product = callWasmKernel(backend, 'BatchMatMul', { a: ones, b: viewAs(x, [rows, util.sizeFromShape(kept)]) }, { transposeA: false, transposeB: false });
  disposeAll(backend, ones);
  return { ...product, shape: attrs.keepDims ? [...Array<number>(reduced).fill(1), ...kept] : kept };
}

/** Sum over leading axes as a ones-row GEMM. */
export const sumConfig: KernelConfig = {
  kernelName: Sum,
  backendName: 'wasm',
  kernelFunc: sum as unknown as KernelFunc,
};
