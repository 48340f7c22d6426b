/**
 * Conv2DBackpropFilter for wasm, which the package does not ship (so no conv net could train).
 *
 * Why it is a convolution: dW[i,j,c,o] = Σ_{b,y,x} x[b, y·s+i−pad, x·s+j−pad, c] · dy[b,y,x,o].
 * Swapping the roles of batch and channels turns that into an ordinary (XNNPACK) Conv2D: the
 * "images" are x's channels, [ci, H, W, b]; the "filter" is dy, [oh, ow, b, co], dilated by the
 * forward stride; the output [ci, fh, fw, co] is dW with its first axis moved.
 */
import { backend_util, Conv2DBackpropFilter, type Conv2DBackpropFilterAttrs, type KernelConfig, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { callWasmKernel, disposeAll, transposeInfo } from './wasm-kernel-calls.ts';

type Shape4D = [number, number, number, number];

function conv2dBackpropFilter(args: { inputs: { x: TensorInfo; dy: TensorInfo }; backend: BackendWasm; attrs: Conv2DBackpropFilterAttrs }): TensorInfo {
  const { inputs: { x, dy }, backend, attrs } = args;
  const { strides, pad, dataFormat, dimRoundingMode, filterShape } = attrs;
  const info = backend_util.computeConv2DInfo(x.shape as Shape4D, filterShape, strides, 1, pad, dimRoundingMode, false, backend_util.convertConv2DDataFormat(dataFormat));
  if (info.dataFormat !== 'channelsLast') throw new Error(`Expected dataFormat NHWC for wasm Conv2DBackpropFilter but received ${dataFormat}`);
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

/** Conv2DBackpropFilter built from wasm Transpose + XNNPACK Conv2D. */
export const conv2dBackpropFilterConfig: KernelConfig = {
  kernelName: Conv2DBackpropFilter,
  backendName: 'wasm',
  kernelFunc: conv2dBackpropFilter as unknown as KernelFunc,
};
