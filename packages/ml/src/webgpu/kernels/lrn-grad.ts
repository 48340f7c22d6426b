/**
 * LRNGrad on webgpu. The package's kernel loops over every channel pair for each value
 * (O(C²): 65 536 steps per value of AlexNet's norm2), though only the 2r+1 windows holding a
 * channel touch it:
 *   dx[c] = dy[c]·N[c]^−β − 2αβ·x[c]·Σ_{|d−c|≤r} dy[d]·y[d] / N[d],   N[d] = bias + α·Σ_{|k−d|≤r} x[k]²
 * which is (2r+1)² reads per value.
 */
import { LRNGrad, type KernelConfig, type KernelFunc, type LRNGradAttrs, type TensorInfo } from '@tensorflow/tfjs-core';
import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import { FlatProgram, WORKGROUP, ceilDiv } from './program.ts';

class LrnGradProgram extends FlatProgram {
  readonly variableNames = ['x', 'y', 'dy'];
  shaderKey = 'digits_lrn_grad';

  constructor(shape: number[], attrs: LRNGradAttrs) {
    const size = shape.reduce((a, b) => a * b, 1);
    super(shape, ceilDiv(size, WORKGROUP), [
      ['total', 'int32', size], ['channels', 'int32', shape[3]!], ['radius', 'int32', attrs.depthRadius],
      ['bias', 'float32', attrs.bias], ['alpha', 'float32', attrs.alpha], ['beta', 'float32', attrs.beta],
    ]);
  }

  getUserCode(): string {
    return `
      fn normAt(pixel : i32, d : i32) -> f32 {
        var s = 0.0;
        for (var k = max(0, d - uniforms.radius); k <= min(uniforms.channels - 1, d + uniforms.radius); k++) {
          let v = x[pixel + k];
          s = fma(v, v, s);
        }
        return uniforms.bias + uniforms.alpha * s;
      }

      fn main(index : i32) {
        if (index >= uniforms.total) { return; }
        let c = index % uniforms.channels;
        let pixel = index - c;
        var cross = 0.0;
        var own = 1.0;
        for (var d = max(0, c - uniforms.radius); d <= min(uniforms.channels - 1, c + uniforms.radius); d++) {
          let n = normAt(pixel, d);
          cross += dy[pixel + d] * y[pixel + d] / n;
          if (d == c) { own = n; }
        }
        result[index] = dy[index] * exp(-uniforms.beta * log(own)) - 2.0 * uniforms.alpha * uniforms.beta * x[index] * cross;
      }
    `;
  }
}

function lrnGrad(args: { inputs: { x: TensorInfo; y: TensorInfo; dy: TensorInfo }; backend: WebGPUBackend; attrs: LRNGradAttrs }): TensorInfo {
  const { inputs: { x, y, dy }, backend, attrs } = args;
  return new LrnGradProgram(dy.shape, attrs).run(backend, [x, y, dy]);
}

export const LRN_GRAD_KERNELS = {
  LRNGrad: { kernelName: LRNGrad, backendName: 'webgpu', kernelFunc: lrnGrad as unknown as KernelFunc } satisfies KernelConfig,
} as const;
