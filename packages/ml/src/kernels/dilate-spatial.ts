/**
 * Spreads an NHWC tensor's pixels `strideHeight`/`strideWidth` apart with zeros between them:
 * [b, h, w, c] → [b, (h−1)·sh+1, (w−1)·sw+1, c]. The gradient of a strided convolution w.r.t. its
 * input is a stride-1 convolution of dy spread out this way; a plain copy loop on the wasm heap
 * is cheaper than composing Pad + Reshape + Slice kernels.
 */
import type { TensorInfo } from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { heapFloat32 } from './wasm-kernel-calls.ts';

/** Returns a new tensor the caller must dispose. */
export function dilateSpatial(backend: BackendWasm, x: TensorInfo, strideHeight: number, strideWidth: number): TensorInfo {
  const [batch, height, width, channels] = x.shape as [number, number, number, number];
  const outHeight = (height - 1) * strideHeight + 1;
  const outWidth = (width - 1) * strideWidth + 1;
  const out = backend.makeOutput([batch, outHeight, outWidth, channels], 'float32');
  const src = heapFloat32(backend, x);
  const dst = heapFloat32(backend, out);
  dst.fill(0);
  const pixelStep = strideWidth * channels;
  for (let b = 0; b < batch; b++) {
    for (let y = 0; y < height; y++) {
      let from = ((b * height + y) * width) * channels;
      let to = ((b * outHeight + y * strideHeight) * outWidth) * channels;
      for (let x0 = 0; x0 < width; x0++, from += channels, to += pixelStep) {
        for (let c = 0; c < channels; c++) dst[to + c] = src[from + c]!;
      }
    }
  }
  return out;
}
