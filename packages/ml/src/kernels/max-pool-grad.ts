/**
 * MaxPoolGrad for wasm. The package's kernel rescans every pooling window for every input pixel,
 * and starts its running maximum at FLT_MIN (the smallest positive float), so a window of negative
 * values sends its gradient to the wrong pixel. This one finds each window's argmax once and adds
 * dy there, in a compiled loop on the heap (heap-loops.ts); ties go to the first pixel in
 * row-major window order, as in the cpu backend.
 */
import { backend_util, MaxPoolGrad, type KernelConfig, type KernelFunc, type MaxPoolGradAttrs, type TensorInfo } from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { heapLoops } from './heap-loops.ts';
import { patchGeometry } from './patch-geometry.ts';
import { heapFloat32, heapOffset } from './wasm-kernel-calls.ts';

type Shape4D = [number, number, number, number];

function maxPoolGrad(args: { inputs: { dy: TensorInfo; input: TensorInfo }; backend: BackendWasm; attrs: MaxPoolGradAttrs }): TensorInfo {
  const { inputs: { dy, input }, backend, attrs } = args;
  const { filterSize, strides, pad, dimRoundingMode } = attrs;
  const info = backend_util.computePool2DInfo(input.shape as Shape4D, filterSize, strides, 1, pad, dimRoundingMode);
  const dx = backend.makeOutput(input.shape, 'float32');
  heapFloat32(backend, dx).fill(0);
  heapLoops(backend).maxPoolGradAdd(heapOffset(backend, input), heapOffset(backend, dy), heapOffset(backend, dx), info.batchSize, patchGeometry(info));
  return dx;
}

/** MaxPoolGrad as one argmax pass per window on the wasm heap. */
export const maxPoolGradConfig: KernelConfig = {
  kernelName: MaxPoolGrad,
  backendName: 'wasm',
  kernelFunc: maxPoolGrad as unknown as KernelFunc,
};
