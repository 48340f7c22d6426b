/**
 * Conv2DBackpropInput for wasm; the package's kernel is a naive C++ loop. Two fast forms, picked
 * by an estimate of their cost:
 * - GEMM + col2im: dx = col2im(dy · Wᵀ), one XNNPACK product with no wasted taps; best for valid
 *   padding, strides and few input channels (the scatter is a wasm loop, heap-loops.ts).
 * - flipped convolution: dx is the full correlation of dy (zero-spread by the stride) with the
 *   filter flipped in space and in/out channels swapped, one XNNPACK Conv2D; best for 'same'
 *   stride-1 layers, where it wastes little and needs no scatter.
 */
import { backend_util, Conv2DBackpropInput, type Conv2DBackpropInputAttrs, type KernelConfig, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { dilateSpatial } from './dilate-spatial.ts';
import { heapLoops } from './heap-loops.ts';
import { imagesPerSlice, patchGeometry, patchSize } from './patch-geometry.ts';
import { callWasmKernel, copyRows, disposeAll, heapFloat32, heapOffset, transposeInfo, viewAs } from './wasm-kernel-calls.ts';

type Shape4D = [number, number, number, number];

/** Estimated ns per XNNPACK multiply-add and per col2im add (measured on wasm SIMD). */
const NS_PER_MAC = 0.075;
const NS_PER_SCATTER = 0.3;
/** XNNPACK computes output channels in tiles of this many; fewer channels still cost a tile. */
const CHANNEL_TILE = 8;

const tiled = (channels: number) => Math.ceil(channels / CHANNEL_TILE) * CHANNEL_TILE;

/** Pads of the flipped-filter convolution, or null when a forward pad reaches past the filter. */
function flippedConvPads(info: backend_util.Conv2DInfo): { top: number; bottom: number; left: number; right: number } | null {
  const { inHeight, inWidth, outHeight, outWidth, filterHeight, filterWidth, strideHeight, strideWidth, padInfo } = info;
  const pads = {
    top: filterHeight - 1 - padInfo.top,
    left: filterWidth - 1 - padInfo.left,
    bottom: inHeight - ((outHeight - 1) * strideHeight + 1) + padInfo.top,
    right: inWidth - ((outWidth - 1) * strideWidth + 1) + padInfo.left,
  };
  return Object.values(pads).every((p) => p >= 0) ? pads : null;
}

function viaFlippedConv(backend: BackendWasm, dy: TensorInfo, filter: TensorInfo, info: backend_util.Conv2DInfo, pads: NonNullable<ReturnType<typeof flippedConvPads>>): TensorInfo {
  const flipped = callWasmKernel(backend, 'Reverse', { x: filter }, { dims: [0, 1] });
  const swapped = transposeInfo(backend, flipped, [0, 1, 3, 2]);
  disposeAll(backend, flipped);
  const spread = info.strideHeight > 1 || info.strideWidth > 1 ? dilateSpatial(backend, dy, info.strideHeight, info.strideWidth) : dy;
  const dx = callWasmKernel(backend, 'Conv2D', { x: spread, filter: swapped }, {
    strides: [1, 1],
    dilations: [1, 1],
    pad: [[0, 0], [pads.top, pads.bottom], [pads.left, pads.right], [0, 0]],
    dataFormat: 'NHWC',
  });
  disposeAll(backend, swapped);
  if (spread !== dy) disposeAll(backend, spread);
  return dx;
}

function viaGemmCol2im(backend: BackendWasm, dy: TensorInfo, filter: TensorInfo, info: backend_util.Conv2DInfo): TensorInfo {
  const geometry = patchGeometry(info);
  const rowLength = patchSize(geometry);
  const { batchSize, outHeight, outWidth, outChannels } = info;
  const rowsPerImage = outHeight * outWidth;
  const sliceImages = imagesPerSlice(info, rowLength);
  // Wᵀ [co, fh·fw·ci] stays one tensor for every slice, so XNNPACK packs it once.
  const filterT = transposeInfo(backend, viewAs(filter, [rowLength, outChannels]), [1, 0]);
  const dx = backend.makeOutput(info.inShape, 'float32');
  heapFloat32(backend, dx).fill(0);
  for (let first = 0; first < batchSize; first += sliceImages) {
    const images = Math.min(sliceImages, batchSize - first);
    const dyRows = images === batchSize
      ? viewAs(dy, [batchSize * rowsPerImage, outChannels])
      : copyRows(backend, dy, first * rowsPerImage, images * rowsPerImage, outChannels);
    const cols = callWasmKernel(backend, 'BatchMatMul', { a: dyRows, b: filterT }, { transposeA: false, transposeB: false });
    heapLoops(backend).col2imAdd(heapOffset(backend, cols), heapOffset(backend, dx), images, first, geometry);
    disposeAll(backend, cols);
    if (dyRows.dataId !== dy.dataId) disposeAll(backend, dyRows);
  }
  disposeAll(backend, filterT);
  return dx;
}

/** Estimated ns of each form, from the multiply-adds XNNPACK does and the col2im adds. */
function estimateCosts(info: backend_util.Conv2DInfo): { gemm: number; flipped: number } {
  const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, outChannels, filterHeight, filterWidth } = info;
  const patchRows = batchSize * outHeight * outWidth;
  const taps = filterHeight * filterWidth;
  return {
    gemm: patchRows * tiled(taps * inChannels) * outChannels * NS_PER_MAC + patchRows * taps * inChannels * NS_PER_SCATTER,
    flipped: batchSize * inHeight * inWidth * taps * tiled(inChannels) * outChannels * NS_PER_MAC,
  };
}

/** Which form computes the input gradient of a convolution with this geometry. */
export function conv2dBackpropInputForm(info: backend_util.Conv2DInfo): 'gemm-col2im' | 'flipped-conv' {
  const costs = estimateCosts(info);
  return flippedConvPads(info) && costs.flipped < costs.gemm ? 'flipped-conv' : 'gemm-col2im';
}

function conv2dBackpropInput(args: { inputs: { dy: TensorInfo; filter: TensorInfo }; backend: BackendWasm; attrs: Conv2DBackpropInputAttrs }): TensorInfo {
  const { inputs: { dy, filter }, backend, attrs } = args;
  const { strides, pad, dataFormat, dimRoundingMode, inputShape } = attrs;
  const info = backend_util.computeConv2DInfo(inputShape, filter.shape as Shape4D, strides, 1, pad, dimRoundingMode, false, backend_util.convertConv2DDataFormat(dataFormat));
  if (info.dataFormat !== 'channelsLast') return callWasmKernel(backend, Conv2DBackpropInput, { dy, filter }, { ...attrs });
  const pads = flippedConvPads(info);
  if (pads && conv2dBackpropInputForm(info) === 'flipped-conv') return viaFlippedConv(backend, dy, filter, info, pads);
  return viaGemmCol2im(backend, dy, filter, info);
}

/** Conv2DBackpropInput as one XNNPACK GEMM or convolution, whichever is cheaper for the shape. */
export const conv2dBackpropInputConfig: KernelConfig = {
  kernelName: Conv2DBackpropInput,
  backendName: 'wasm',
  kernelFunc: conv2dBackpropInput as unknown as KernelFunc,
};
