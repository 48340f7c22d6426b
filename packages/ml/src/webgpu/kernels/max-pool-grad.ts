/**
 * MaxPoolGrad on webgpu in one pass, with Caffe's and the cpu backend's rule for ties: the
 * gradient of a window goes to its first maximal pixel in row-major order. The package's kernel
 * takes two dispatches and sends ties elsewhere, and ties are common after a ReLU (windows of
 * zeros), so webgpu training would diverge from the other engines.
 * Each input pixel sums dy over the windows holding it whose maximum it is the first to reach.
 */
import { backend_util, MaxPoolGrad, type KernelConfig, type KernelFunc, type MaxPoolGradAttrs, type TensorInfo } from '@tensorflow/tfjs-core';
import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import { FlatProgram, WORKGROUP, ceilDiv } from './program.ts';

type Shape4D = [number, number, number, number];

class MaxPoolGradProgram extends FlatProgram {
  readonly variableNames = ['dy', 'x', 'y'];
  shaderKey = 'digits_max_pool_grad';

  constructor(info: backend_util.Conv2DInfo) {
    const size = info.batchSize * info.inHeight * info.inWidth * info.inChannels;
    super([...info.inShape], ceilDiv(size, WORKGROUP), [
      ['total', 'int32', size], ['H', 'int32', info.inHeight], ['W', 'int32', info.inWidth], ['C', 'int32', info.inChannels],
      ['OH', 'int32', info.outHeight], ['OW', 'int32', info.outWidth], ['KH', 'int32', info.filterHeight], ['KW', 'int32', info.filterWidth],
      ['SH', 'int32', info.strideHeight], ['SW', 'int32', info.strideWidth], ['PT', 'int32', info.padInfo.top], ['PL', 'int32', info.padInfo.left],
    ]);
  }

  getUserCode(): string {
    return `
      fn main(index : i32) {
        if (index >= uniforms.total) { return; }
        let d = index % uniforms.C;
        let pix = index / uniforms.C;
        let c = pix % uniforms.W;
        let br = pix / uniforms.W;
        let r = br % uniforms.H;
        let b = br / uniforms.H;
        let v = x[index];
        let image = b * uniforms.H * uniforms.W;
        // output windows [o·s − p, o·s − p + k) that hold row r / column c
        let oy0 = max(0, (r + uniforms.PT - uniforms.KH + uniforms.SH) / uniforms.SH);
        let oy1 = min(uniforms.OH - 1, (r + uniforms.PT) / uniforms.SH);
        let ox0 = max(0, (c + uniforms.PL - uniforms.KW + uniforms.SW) / uniforms.SW);
        let ox1 = min(uniforms.OW - 1, (c + uniforms.PL) / uniforms.SW);
        var sum = 0.0;
        for (var oy = oy0; oy <= oy1; oy++) {
          for (var ox = ox0; ox <= ox1; ox++) {
            let out = ((b * uniforms.OH + oy) * uniforms.OW + ox) * uniforms.C + d;
            let best = y[out];
            if (v != best) { continue; }
            // first pixel of the window (row-major, in bounds) that reaches the maximum
            let y0 = max(0, oy * uniforms.SH - uniforms.PT);
            let x0 = max(0, ox * uniforms.SW - uniforms.PL);
            let x1 = min(uniforms.W, ox * uniforms.SW - uniforms.PL + uniforms.KW);
            var earlier = false;
            for (var wy = y0; wy <= r && !earlier; wy++) {
              let stop = select(x1, c, wy == r);
              for (var wx = x0; wx < stop; wx++) {
                if (x[((image + wy * uniforms.W) + wx) * uniforms.C + d] == best) { earlier = true; break; }
              }
            }
            if (!earlier) { sum += dy[out]; }
          }
        }
        result[index] = sum;
      }
    `;
  }
}

function maxPoolGrad(args: { inputs: { dy: TensorInfo; input: TensorInfo; output: TensorInfo }; backend: WebGPUBackend; attrs: MaxPoolGradAttrs }): TensorInfo {
  const { inputs: { dy, input, output }, backend, attrs } = args;
  const info = backend_util.computePool2DInfo(input.shape as Shape4D, attrs.filterSize, attrs.strides, 1, attrs.pad, attrs.dimRoundingMode);
  return new MaxPoolGradProgram(info).run(backend, [dy, input, output]);
}

export const MAX_POOL_GRAD_KERNELS = {
  MaxPoolGrad: { kernelName: MaxPoolGrad, backendName: 'webgpu', kernelFunc: maxPoolGrad as unknown as KernelFunc } satisfies KernelConfig,
} as const;
