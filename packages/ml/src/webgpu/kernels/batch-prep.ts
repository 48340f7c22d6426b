/** The device-side batch (`ops/batch-prep.ts`) on webgpu: one thread per output value. */
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import { BATCH_PREP, type BatchPrepAttrs } from '../../ops/batch-prep.ts';
import { FlatProgram, WORKGROUP, ceilDiv } from './program.ts';

class BatchPrepProgram extends FlatProgram {
  readonly variableNames: string[];
  shaderKey: string;

  constructor(n: number, attrs: BatchPrepAttrs, private readonly withMean: boolean) {
    const { height, width, channels, cropHeight, cropWidth } = attrs;
    const size = n * cropHeight * cropWidth * channels;
    super([n, cropHeight, cropWidth, channels], ceilDiv(size, WORKGROUP), [
      ['total', 'int32', size], ['H', 'int32', height], ['W', 'int32', width], ['C', 'int32', channels], ['h', 'int32', cropHeight], ['w', 'int32', cropWidth],
    ]);
    this.variableNames = withMean ? ['words', 'corners', 'mean'] : ['words', 'corners'];
    this.shaderKey = `digits_batch_prep_${withMean}`;
  }

  getUserCode(): string {
    return `
      fn main(index : i32) {
        if (index >= uniforms.total) { return; }
        let c = index % uniforms.C;
        let p = index / uniforms.C;
        let x = p % uniforms.w;
        let by = p / uniforms.w;
        let y = by % uniforms.h;
        let b = by / uniforms.h;
        let top = corners[b * 3];
        let left = corners[b * 3 + 1];
        // mirrored images read their row right to left (Caffe mirrors after cropping)
        let sx = left + select(x, uniforms.w - 1 - x, corners[b * 3 + 2] != 0);
        let at = ((top + y) * uniforms.W + sx) * uniforms.C + c;
        let byte = b * uniforms.H * uniforms.W * uniforms.C + at;
        var v = f32((words[byte / 4] >> u32((byte % 4) * 8)) & 255);
        ${this.withMean ? 'v -= mean[at];' : ''}
        result[index] = v;
      }
    `;
  }
}

function batchPrep({ inputs, backend, attrs }: { inputs: { words: TensorInfo; corners: TensorInfo; mean?: TensorInfo }; backend: WebGPUBackend; attrs: BatchPrepAttrs }): TensorInfo {
  const n = inputs.corners.shape[0]!;
  return new BatchPrepProgram(n, attrs, !!inputs.mean).run(backend, inputs.mean ? [inputs.words, inputs.corners, inputs.mean] : [inputs.words, inputs.corners]);
}

export const BATCH_PREP_KERNELS = {
  [BATCH_PREP]: { kernelName: BATCH_PREP, backendName: 'webgpu', kernelFunc: batchPrep as unknown as KernelFunc } satisfies KernelConfig,
} as const;
