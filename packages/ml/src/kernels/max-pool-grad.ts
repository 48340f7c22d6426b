/**
 * MaxPoolGrad for wasm. The package's kernel rescans every pooling window for every input pixel;
 * this one finds each window's argmax once and adds dy there, in a JS loop straight over the wasm
 * heap. Ties go to the first pixel in row-major window order, as in the cpu backend. (The
 * package's kernel also starts its running maximum at FLT_MIN, the smallest positive float, so a
 * window of negative values sends its gradient to the wrong pixel.)
 */
import { backend_util, MaxPoolGrad, type KernelConfig, type KernelFunc, type MaxPoolGradAttrs, type TensorInfo } from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { heapFloat32 } from './wasm-kernel-calls.ts';

type Shape4D = [number, number, number, number];

function maxPoolGrad(args: { inputs: { dy: TensorInfo; input: TensorInfo }; backend: BackendWasm; attrs: MaxPoolGradAttrs }): TensorInfo {
  const { inputs: { dy, input }, backend, attrs } = args;
  const { filterSize, strides, pad, dimRoundingMode } = attrs;
  const info = backend_util.computePool2DInfo(input.shape as Shape4D, filterSize, strides, 1, pad, dimRoundingMode);
  const { batchSize, inHeight, inWidth, inChannels: channels, outHeight, outWidth, strideHeight, strideWidth, filterHeight, filterWidth, padInfo } = info;

  const out = backend.makeOutput(input.shape, 'float32');
  const x = heapFloat32(backend, input);
  const g = heapFloat32(backend, dy);
  const dx = heapFloat32(backend, out);
  dx.fill(0);
  const rowStride = inWidth * channels;
  let gAt = 0;
  for (let b = 0; b < batchSize; b++) {
    const imageBase = b * inHeight * rowStride;
    for (let oy = 0; oy < outHeight; oy++) {
      const top = oy * strideHeight - padInfo.top;
      const yStart = Math.max(top, 0);
      const yEnd = Math.min(top + filterHeight, inHeight);
      for (let ox = 0; ox < outWidth; ox++, gAt += channels) {
        const left = ox * strideWidth - padInfo.left;
        const xStart = Math.max(left, 0);
        const xEnd = Math.min(left + filterWidth, inWidth);
        const windowBase = imageBase + yStart * rowStride + xStart * channels;
        for (let c = 0; c < channels; c++) {
          let best = -Infinity;
          let bestAt = -1;
          for (let y = yStart, row = windowBase + c; y < yEnd; y++, row += rowStride) {
            for (let xx = xStart, at = row; xx < xEnd; xx++, at += channels) {
              const v = x[at]!;
              // Conditional moves rather than a branch: which pixel wins is data-dependent.
              const better = v > best;
              bestAt = better ? at : bestAt;
              best = better ? v : best;
            }
          }
          if (bestAt >= 0) dx[bestAt] = dx[bestAt]! + g[gAt + c]!;
        }
      }
    }
  }
  return out;
}

/** MaxPoolGrad as one argmax pass per window over the wasm heap. */
export const maxPoolGradConfig: KernelConfig = {
  kernelName: MaxPoolGrad,
  backendName: 'wasm',
  kernelFunc: maxPoolGrad as unknown as KernelFunc,
};
