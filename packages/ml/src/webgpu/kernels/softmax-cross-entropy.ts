/** The fused softmax cross-entropy (`ops/softmax-cross-entropy.ts`) and its gradient on webgpu. */
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import { SOFTMAX_CROSS_ENTROPY, type SoftmaxCrossEntropyAttrs } from '../../ops/softmax-cross-entropy.ts';
import { FlatProgram, WORKGROUP, ceilDiv } from './program.ts';

/** log Σ exp(z) of row r, and the row's start; shared by the loss and its gradient. */
const ROW = `
  fn rowLogSumExp(start : i32) -> f32 {
    var top = logits[start];
    for (var c = 1; c < uniforms.classes; c++) { top = max(top, logits[start + c]); }
    var s = 0.0;
    for (var c = 0; c < uniforms.classes; c++) { s += exp(logits[start + c] - top); }
    return top + log(s);
  }`;

/** One workgroup: each thread takes rows in turn, then the partial sums are added in shared memory. */
class LossProgram extends FlatProgram {
  readonly variableNames = ['logits', 'labels'];
  shaderKey: string;

  constructor(rows: number, classes: number, private readonly attrs: SoftmaxCrossEntropyAttrs) {
    super([], 1, [['rows', 'int32', rows], ['classes', 'int32', classes]]);
    this.shaderKey = `digits_softmax_ce_${attrs.reduction}`;
  }

  getUserCode(): string {
    return `
      ${ROW}
      var<workgroup> partial : array<f32, ${WORKGROUP}>;
      fn main(index : i32) {
        let t = i32(localIndex);
        var s = 0.0;
        for (var r = t; r < uniforms.rows; r += ${WORKGROUP}) {
          let label = labels[r];
          if (label >= 0 && label < uniforms.classes) { s += rowLogSumExp(r * uniforms.classes) - logits[r * uniforms.classes + label]; }
        }
        partial[t] = s;
        workgroupBarrier();
        for (var half = ${WORKGROUP / 2}; half > 0; half /= 2) {
          if (t < half) { partial[t] += partial[t + half]; }
          workgroupBarrier();
        }
        if (t == 0) { result[0] = partial[0]${this.attrs.reduction === 'mean' ? ' / f32(uniforms.rows)' : ''}; }
      }
    `;
  }
}

/** d loss / d logits = (softmax − one-hot) · dy (/ rows for the mean), one thread per row; TF.js' rule, also for a row with no class. */
class GradProgram extends FlatProgram {
  readonly variableNames = ['logits', 'labels', 'dy'];
  shaderKey: string;

  constructor(rows: number, classes: number, private readonly attrs: SoftmaxCrossEntropyAttrs) {
    super([rows, classes], ceilDiv(rows, WORKGROUP), [['rows', 'int32', rows], ['classes', 'int32', classes]]);
    this.shaderKey = `digits_softmax_ce_grad_${attrs.reduction}`;
  }

  getUserCode(): string {
    return `
      ${ROW}
      fn main(r : i32) {
        if (r >= uniforms.rows) { return; }
        let start = r * uniforms.classes;
        let label = labels[r];
        let scale = dy[0]${this.attrs.reduction === 'mean' ? ' / f32(uniforms.rows)' : ''};
        let lse = rowLogSumExp(start);
        for (var c = 0; c < uniforms.classes; c++) {
          result[start + c] = (exp(logits[start + c] - lse) - select(0.0, 1.0, c == label)) * scale;
        }
      }
    `;
  }
}

interface LossArgs { inputs: { logits: TensorInfo; labels: TensorInfo; dy?: TensorInfo }; backend: WebGPUBackend; attrs: SoftmaxCrossEntropyAttrs }

function loss({ inputs: { logits, labels }, backend, attrs }: LossArgs): TensorInfo {
  return new LossProgram(logits.shape[0]!, logits.shape[1]!, attrs).run(backend, [logits, labels]);
}

function grad({ inputs: { logits, labels, dy }, backend, attrs }: LossArgs): TensorInfo {
  return new GradProgram(logits.shape[0]!, logits.shape[1]!, attrs).run(backend, [logits, labels, dy!]);
}

export const SOFTMAX_CROSS_ENTROPY_KERNELS = {
  [SOFTMAX_CROSS_ENTROPY.forward]: { kernelName: SOFTMAX_CROSS_ENTROPY.forward, backendName: 'webgpu', kernelFunc: loss as unknown as KernelFunc } satisfies KernelConfig,
  [SOFTMAX_CROSS_ENTROPY.grad]: { kernelName: SOFTMAX_CROSS_ENTROPY.grad, backendName: 'webgpu', kernelFunc: grad as unknown as KernelFunc } satisfies KernelConfig,
} as const;
