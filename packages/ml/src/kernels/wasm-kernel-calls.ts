/**
 * Calling wasm kernels from inside our kernels. We compose on `TensorInfo`s and call the kernel
 * functions directly (as tfjs backends do internally) instead of going through `tf.engine()`:
 * no Tensor objects, no tape, and every intermediate is freed with `backend.disposeData`.
 */
import { getKernel, type NamedAttrMap, type TensorInfo } from '@tensorflow/tfjs-core';
import { stockKernel } from './replace.ts';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

/**
 * Runs a wasm kernel on `TensorInfo`s: the package's own one when we replaced it, else the
 * registered one. The caller owns the result and must `backend.disposeData` it when it is an
 * intermediate.
 */
export function callWasmKernel(backend: BackendWasm, name: string, inputs: Record<string, TensorInfo>, attrs: NamedAttrMap = {}): TensorInfo {
  const config = stockKernel(name, 'wasm') ?? getKernel(name, 'wasm');
  if (!config) throw new Error(`Expected wasm kernel ${name} to be registered but it is not`);
  const result = config.kernelFunc({ inputs, attrs, backend });
  if (Array.isArray(result)) throw new Error(`Expected wasm kernel ${name} to return one tensor but it returned ${result.length}`);
  return result;
}

/** Frees intermediates made by `callWasmKernel` (reshape-style results only drop a reference). */
export function disposeAll(backend: BackendWasm, ...infos: TensorInfo[]): void {
  for (const info of infos) backend.disposeData(info.dataId);
}

/** `transpose(x, perm)` on the wasm heap. */
export function transposeInfo(backend: BackendWasm, x: TensorInfo, perm: number[]): TensorInfo {
  return callWasmKernel(backend, 'Transpose', { x }, { perm });
}

/** Byte offset of a tensor's data on the wasm heap. */
export function heapOffset(backend: BackendWasm, info: TensorInfo): number {
  return backend.dataIdMap.get(info.dataId)!.memoryOffset;
}

/** A float32 view of a tensor's bytes on the wasm heap. Take views after the last allocation: heap growth detaches them. */
export function heapFloat32(backend: BackendWasm, info: TensorInfo): Float32Array {
  return backend.typedArrayFromHeap(info) as Float32Array;
}

/** Rows [first, first+count) of `x` seen as a [rows, rowLength] matrix, copied into a new tensor. */
export function copyRows(backend: BackendWasm, x: TensorInfo, first: number, count: number, rowLength: number): TensorInfo {
  const out = backend.makeOutput([count, rowLength], 'float32');
  heapFloat32(backend, out).set(heapFloat32(backend, x).subarray(first * rowLength, (first + count) * rowLength));
  return out;
}

/** The same data under another shape of the same size, without a copy or a new reference. */
export function viewAs(x: TensorInfo, shape: number[]): TensorInfo {
  return { dataId: x.dataId, shape, dtype: x.dtype };
}
