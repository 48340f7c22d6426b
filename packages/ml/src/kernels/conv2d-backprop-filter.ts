/**
 * Conv2DBackpropFilter for wasm, which the package does not ship (so no conv net could train).
 * dW, seen as a [fh·fw·ci, co] matrix, is colsᵀ · dy: colsᵀ holds, for each filter tap and input
 * channel, the input pixel under it at every output position (a transposed im2col, built by a
 * compiled loop on the heap), and dy is [b·oh·ow, co]. The product is one XNNPACK GEMM; big
 * batches go through in slices whose products are summed.
 */
import { backend_util, Conv2DBackpropFilter, type Conv2DBackpropFilterAttrs, type KernelConfig, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { maxPatchElements } from './flags.ts';
import { heapLoops } from './heap-loops.ts';
import { patchGeometry, patchSize } from './patch-geometry.ts';
import { callWasmKernel, copyRows, disposeAll, heapOffset, viewAs } from './wasm-kernel-calls.ts';

type Shape4D = [number, number, number, number];

function conv2dBackpropFilter(args: { inputs: { x: TensorInfo; dy: TensorInfo }; backend: BackendWasm; attrs: Conv2DBackpropFilterAttrs }): TensorInfo {
  const { inputs: { x, dy }, backend, attrs } = args;
  const { strides, pad, dataFormat, dimRoundingMode, filterShape } = attrs;
  const info = backend_util.computeConv2DInfo(x.shape as Shape4D, filterShape, strides, 1, pad, dimRoundingMode, false, backend_util.convertConv2DDataFormat(dataFormat));
  if (info.dataFormat !== 'channelsLast') throw new Error(`Expected dataFormat NHWC for wasm Conv2DBackpropFilter but received ${dataFormat}`);
  const geometry = patchGeometry(info);
  const rowLength = patchSize(geometry);
  const { batchSize, outHeight, outWidth, outChannels } = info;
  const rowsPerImage = outHeight * outWidth;
  const imagesPerSlice = Math.max(1, Math.min(batchSize, Math.floor(maxPatchElements() / (rowsPerImage * rowLength))));
  const loops = heapLoops(backend);
  let dW: TensorInfo | null = null;
  for (let first = 0; first < batchSize; first += imagesPerSlice) {
    const images = Math.min(imagesPerSlice, batchSize - first);
    const rows = images * rowsPerImage;
    const colsT = backend.makeOutput([rowLength, rows], 'float32');
    loops.im2colTransposed(heapOffset(backend, x), heapOffset(backend, colsT), images, first, geometry);
    const dyRows = images === batchSize ? viewAs(dy, [rows, outChannels]) : copyRows(backend, dy, first * rowsPerImage, rows, outChannels);
    const part = callWasmKernel(backend, 'BatchMatMul', { a: colsT, b: dyRows }, { transposeA: false, transposeB: false });
    disposeAll(backend, colsT);
    if (dyRows.dataId !== dy.dataId) disposeAll(backend, dyRows);
    if (dW) {
      const sum = callWasmKernel(backend, 'Add', { a: dW, b: part });
      disposeAll(backend, dW, part);
      dW = sum;
    } else {
      dW = part;
    }
  }
  return { ...dW!, shape: [...filterShape] };
}

/** Conv2DBackpropFilter as transposed im2col on the heap + one XNNPACK GEMM per batch slice. */
export const conv2dBackpropFilterConfig: KernelConfig = {
  kernelName: Conv2DBackpropFilter,
  backendName: 'wasm',
  kernelFunc: conv2dBackpropFilter as unknown as KernelFunc,
};
