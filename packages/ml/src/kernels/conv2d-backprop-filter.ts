/**
 * Conv2DBackpropFilter for wasm, which the package does not ship (so no conv net could train).
 * dW[i,j,c,o] = Σ_{b,y,x} x[b, y·s+i−pad, x·s+j−pad, c] · dy[b,y,x,o], computed one of two ways:
 * - swapped convolution: with batch and channels swapped, that sum is an ordinary XNNPACK Conv2D
 *   whose images are x's channels, [ci, H, W, b], and whose filter is dy, [oh, ow, b, co], dilated
 *   by the stride; its output [ci, fh, fw, co] is dW with the first axis moved. Best for many input
 *   channels.
 * - im2col GEMM: dW as a [fh·fw·ci, co] matrix is colsᵀ · dy, where colsᵀ holds for each filter
 *   tap and input channel the input pixel under it at every output position (built by a compiled
 *   loop on the heap). With few input channels (first layers: 1 or 3) the swapped convolution
 *   would have 1–3 images and a huge filter, which XNNPACK runs poorly, while colsᵀ is small.
 */
import { backend_util, Conv2DBackpropFilter, type Conv2DBackpropFilterAttrs, type KernelConfig, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { heapLoops } from './heap-loops.ts';
import { imagesPerSlice, patchGeometry, patchSize } from './patch-geometry.ts';
import { callWasmKernel, copyRows, disposeAll, heapOffset, transposeInfo, viewAs } from './wasm-kernel-calls.ts';

type Shape4D = [number, number, number, number];

/** Input channels from which the swapped convolution beats the im2col GEMM (measured on LeNet). */
const SWAPPED_CONV_MIN_CHANNELS = 8;

function viaSwappedConv(backend: BackendWasm, x: TensorInfo, dy: TensorInfo, info: backend_util.Conv2DInfo): TensorInfo {
  const { inHeight, inWidth, outHeight, outWidth, filterHeight, filterWidth, strideHeight, strideWidth, padInfo } = info;
  // Pads that make the dilated-dy convolution come out exactly fh × fw; negative means x has rows or
  // columns the forward pass never read (valid padding with a stride that does not divide evenly).
  const padBottom = filterHeight + (outHeight - 1) * strideHeight - inHeight - padInfo.top;
  const padRight = filterWidth + (outWidth - 1) * strideWidth - inWidth - padInfo.left;
  const images = transposeInfo(backend, x, [3, 1, 2, 0]);
  const kernel = transposeInfo(backend, dy, [1, 2, 0, 3]);
  const product = callWasmKernel(backend, 'Conv2D', { x: images, filter: kernel }, {
    strides: [1, 1],
    dilations: [strideHeight, strideWidth],
    pad: [[0, 0], [padInfo.top, Math.max(padBottom, 0)], [padInfo.left, Math.max(padRight, 0)], [0, 0]],
    dataFormat: 'NHWC',
  });
  disposeAll(backend, images, kernel);
  let cropped = product;
  if (padBottom < 0 || padRight < 0) {
    cropped = callWasmKernel(backend, 'Slice', { x: product }, { begin: [0, 0, 0, 0], size: [-1, filterHeight, filterWidth, -1] });
    disposeAll(backend, product);
  }
  const dW = transposeInfo(backend, cropped, [1, 2, 0, 3]);
  disposeAll(backend, cropped);
  return dW;
}

function viaIm2colGemm(backend: BackendWasm, x: TensorInfo, dy: TensorInfo, info: backend_util.Conv2DInfo): TensorInfo {
  const geometry = patchGeometry(info);
  const rowLength = patchSize(geometry);
  const { batchSize, outHeight, outWidth, outChannels } = info;
  const rowsPerImage = outHeight * outWidth;
  const sliceImages = imagesPerSlice(info, rowLength);
  const loops = heapLoops(backend);
  let dW: TensorInfo | null = null;
  for (let first = 0; first < batchSize; first += sliceImages) {
    const images = Math.min(sliceImages, batchSize - first);
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
  return { ...dW!, shape: [...info.filterShape] };
}

/** Which way computes the filter gradient of a convolution with this geometry. */
export function conv2dBackpropFilterForm(info: backend_util.Conv2DInfo): 'swapped-conv' | 'im2col-gemm' {
  return info.inChannels >= SWAPPED_CONV_MIN_CHANNELS ? 'swapped-conv' : 'im2col-gemm';
}

function conv2dBackpropFilter(args: { inputs: { x: TensorInfo; dy: TensorInfo }; backend: BackendWasm; attrs: Conv2DBackpropFilterAttrs }): TensorInfo {
  const { inputs: { x, dy }, backend, attrs } = args;
  const { strides, pad, dataFormat, dimRoundingMode, filterShape } = attrs;
  const info = backend_util.computeConv2DInfo(x.shape as Shape4D, filterShape, strides, 1, pad, dimRoundingMode, false, backend_util.convertConv2DDataFormat(dataFormat));
  if (info.dataFormat !== 'channelsLast') throw new Error(`Expected dataFormat NHWC for wasm Conv2DBackpropFilter but received ${dataFormat}`);
  return conv2dBackpropFilterForm(info) === 'swapped-conv' ? viaSwappedConv(backend, x, dy, info) : viaIm2colGemm(backend, x, dy, info);
}

/** Conv2DBackpropFilter as an XNNPACK convolution or GEMM, whichever suits the shape. */
export const conv2dBackpropFilterConfig: KernelConfig = {
  kernelName: Conv2DBackpropFilter,
  backendName: 'wasm',
  kernelFunc: conv2dBackpropFilter as unknown as KernelFunc,
};
