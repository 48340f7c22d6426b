/** The fused momentum-SGD update (`ops/momentum-update.ts`) on webgpu: two element-wise passes. */
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import { MOMENTUM_UPDATE, type MomentumUpdateAttrs } from '../../ops/momentum-update.ts';
import { FlatProgram, WORKGROUP, ceilDiv } from './program.ts';

class MomentumProgram extends FlatProgram {
  readonly variableNames = ['value', 'accumulation', 'gradient'];
  shaderKey: string;

  /** `accumulation`: writes a'; else writes v' from the new accumulation passed as `accumulation`. */
  constructor(shape: number[], attrs: MomentumUpdateAttrs, private readonly writes: 'accumulation' | 'value') {
    const size = shape.reduce((a, b) => a * b, 1);
    super(shape, ceilDiv(size, WORKGROUP), [['total', 'int32', size], ['lr', 'float32', attrs.lr], ['momentum', 'float32', attrs.momentum], ['decay', 'float32', attrs.decay]]);
    this.shaderKey = `digits_momentum_${writes}_${attrs.nesterov}`;
    this.nesterov = attrs.nesterov;
  }

  private readonly nesterov: boolean;

  getUserCode(): string {
    const step = this.nesterov ? 'g + uniforms.momentum * accumulation[i]' : 'accumulation[i]';
    return `
      fn main(i : i32) {
        if (i >= uniforms.total) { return; }
        let g = gradient[i] + uniforms.decay * value[i];
        ${this.writes === 'accumulation' ? 'result[i] = uniforms.momentum * accumulation[i] + g;' : `result[i] = value[i] - uniforms.lr * (${step});`}
      }
    `;
  }
}

function momentumUpdate(args: { inputs: { value: TensorInfo; accumulation: TensorInfo; gradient: TensorInfo }; backend: WebGPUBackend; attrs: MomentumUpdateAttrs }): TensorInfo[] {
  const { inputs: { value, accumulation, gradient }, backend, attrs } = args;
  const next = new MomentumProgram(value.shape, attrs, 'accumulation').run(backend, [value, accumulation, gradient]);
  const updated = new MomentumProgram(value.shape, attrs, 'value').run(backend, [value, next, gradient]);
  return [next, updated];
}

export const MOMENTUM_UPDATE_KERNELS = {
  [MOMENTUM_UPDATE]: { kernelName: MOMENTUM_UPDATE, backendName: 'webgpu', kernelFunc: momentumUpdate as unknown as KernelFunc } satisfies KernelConfig,
} as const;
