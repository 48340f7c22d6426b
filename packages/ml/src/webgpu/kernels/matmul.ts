/**
 * BatchMatMul and _FusedMatMul (dense layers) on our GEMM. The package's choice for a short, wide
 * product with a long K (a dense layer's input gradient at a small batch: [2, 4096] × [256, 4096]ᵀ)
 * is an atomics-based split-K program that answers wrong values when B is transposed; our GEMM
 * splits K into partial copies instead, and its threshold follows the GPU's size.
 * The package keeps int32 products, broadcast biases and activations other than ReLU.
 */
import { BatchMatMul, _FusedMatMul, type BatchMatMulAttrs, type KernelConfig, type KernelFunc, type TensorInfo, type _FusedMatMulAttrs } from '@tensorflow/tfjs-core';
import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import { runGemm, type GemmOperands } from './gemm.ts';
import { callStock } from './program.ts';

/** Operands of batch g of C = op(A)·op(B), either side broadcast when its batch is 1. */
function matmulOperands(transposeA: boolean, transposeB: boolean, broadcastA: boolean, broadcastB: boolean, split: boolean, epilogue: { bias: boolean; relu: boolean }): GemmOperands {
  const fused = !split && (epilogue.bias || epilogue.relu);
  // A is [M, K] (row m at m·K, k contiguous) or [K, M] (row m at m, k at stride M)
  const rowA = transposeA ? 'vec4<i32>(ga * uniforms.M * uniforms.K + m, uniforms.M, 0, 0)' : 'vec4<i32>(ga * uniforms.M * uniforms.K + m * uniforms.K, 1, 0, 0)';
  const readB = transposeB ? 'b[gb * uniforms.N * uniforms.K + n * uniforms.K + k]' : 'b[gb * uniforms.K * uniforms.N + k * uniforms.N + n]';
  return {
    key: `mm_${transposeA}_${transposeB}_${broadcastA}_${broadcastB}_${split}_${fused && epilogue.bias}_${fused && epilogue.relu}`,
    variableNames: fused && epilogue.bias ? ['a', 'b', 'bias'] : ['a', 'b'],
    uniforms: [],
    aFast: transposeA ? 'm' : 'k',
    bFast: transposeB ? 'k' : 'n',
    code: `
      fn rowA(g : i32, m : i32) -> vec4<i32> {
        let ga = ${broadcastA ? '0' : 'g'};
        return ${rowA};
      }
      fn readA(r : vec4<i32>, k : i32) -> f32 { return a[r.x + k * r.y]; }
      fn readB(g : i32, k : i32, n : i32) -> f32 {
        let gb = ${broadcastB ? '0' : 'g'};
        return ${readB};
      }
      fn writeC(g : i32, split : i32, m : i32, n : i32, value : f32) {
        var v = value;
        ${fused && epilogue.bias ? 'v += bias[n];' : ''}
        ${fused && epilogue.relu ? 'v = max(v, 0.0);' : ''}
        let at = (g * uniforms.M + m) * uniforms.N + n;
        ${split ? 'result[split * uniforms.partSize + at] = v;' : 'result[at] = v;'}
      }`,
  };
}

interface MatMulArgs {
  inputs: { a: TensorInfo; b: TensorInfo; bias?: TensorInfo; preluActivationWeights?: TensorInfo };
  backend: WebGPUBackend;
  attrs: BatchMatMulAttrs & Partial<_FusedMatMulAttrs>;
}

const size = (shape: readonly number[]) => shape.reduce((x, y) => x * y, 1);

function matmul(kernelName: string, { inputs, backend, attrs }: MatMulArgs): TensorInfo {
  const { a, b, bias } = inputs;
  const { transposeA, transposeB } = attrs;
  const activation = attrs.activation ?? 'linear';
  const [ra, rb] = [a.shape.length, b.shape.length];
  const m = transposeA ? a.shape[ra - 1]! : a.shape[ra - 2]!;
  const k = transposeA ? a.shape[ra - 2]! : a.shape[ra - 1]!;
  const n = transposeB ? b.shape[rb - 2]! : b.shape[rb - 1]!;
  const [batchA, batchB] = [size(a.shape.slice(0, -2)), size(b.shape.slice(0, -2))];
  const batches = Math.max(batchA, batchB);
  const ours = a.dtype === 'float32' && b.dtype === 'float32' && (batchA === batchB || batchA === 1 || batchB === 1)
    && (activation === 'linear' || activation === 'relu') && !inputs.preluActivationWeights && (!bias || size(bias.shape) === n);
  if (!ours) return callStock(kernelName, inputs as Record<string, TensorInfo>, backend, attrs);
  const lead = (a.shape.length >= b.shape.length ? a.shape : b.shape).slice(0, -2);
  const epilogue = { bias: bias ?? null, relu: activation === 'relu' };
  return runGemm(backend, [...lead, m, n], { m, n, k, groups: batches }, [a, b],
    (split) => matmulOperands(transposeA, transposeB, batchA === 1 && batches > 1, batchB === 1 && batches > 1, split, { bias: !!bias, relu: epilogue.relu }), epilogue);
}

const config = (kernelName: string): KernelConfig => ({ kernelName, backendName: 'webgpu', kernelFunc: ((args: MatMulArgs) => matmul(kernelName, args)) as unknown as KernelFunc });

export const MATMUL_KERNELS = {
  BatchMatMul: config(BatchMatMul),
  _FusedMatMul: config(_FusedMatMul),
} as const;
