/**
 * A 2-D matrix product on the wasm backend's fast path. The package only sends an untransposed
 * product with batch 1 to XNNPACK, and XNNPACK re-packs the right operand ("weights") every time
 * that tensor is new, which in training is every call: packing costs about 3× a transpose per
 * element. So we pick between C = A·B and C = (Bᵀ·Aᵀ)ᵀ by a cost estimate in transposed or packed
 * elements, making explicit transposes as the chosen form needs them.
 */
import { util, type TensorInfo } from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { callWasmKernel, disposeAll, transposeInfo } from './wasm-kernel-calls.ts';

/** Relative cost of XNNPACK packing one right-hand element versus transposing one element. */
const PACK_COST = 3;

/** How the stored operands relate to the mathematical A [m, k] and B [k, n]. */
export interface MatMulLayout {
  transposeA: boolean;
  transposeB: boolean;
}

/** The product of two rank-2 tensors, [m, n]; the caller owns the result. */
export function matMul2D(backend: BackendWasm, a: TensorInfo, b: TensorInfo, { transposeA, transposeB }: MatMulLayout): TensorInfo {
  const [a0, a1] = a.shape as [number, number];
  const [b0, b1] = b.shape as [number, number];
  const [m, k] = transposeA ? [a1, a0] : [a0, a1];
  const n = transposeB ? b0 : b1;
  const kB = transposeB ? b1 : b0;
  util.assert(k === kB, () => `Expected matching inner dimensions for matMul but received ${k} and ${kB} (shapes ${a.shape} and ${b.shape}, transposeA=${transposeA}, transposeB=${transposeB})`);
  const direct = (transposeA ? m * k : 0) + (transposeB ? k * n : 0) + PACK_COST * k * n;
  const swapped = (transposeB ? 0 : k * n) + (transposeA ? 0 : m * k) + PACK_COST * k * m + m * n;
  if (direct <= swapped) return plainProduct(backend, a, transposeA, b, transposeB);
  // Cᵀ = Bᵀ·Aᵀ: b is already Bᵀ when transposeB, a already Aᵀ when transposeA.
  const productT = plainProduct(backend, b, !transposeB, a, !transposeA);
  const product = transposeInfo(backend, productT, [1, 0]);
  disposeAll(backend, productT);
  return product;
}

/** left·right, each operand transposed first when its flag says so. */
function plainProduct(backend: BackendWasm, left: TensorInfo, transposeLeft: boolean, right: TensorInfo, transposeRight: boolean): TensorInfo {
  const plainLeft = transposeLeft ? transposeInfo(backend, left, [1, 0]) : left;
  const plainRight = transposeRight ? transposeInfo(backend, right, [1, 0]) : right;
  const product = callWasmKernel(backend, 'BatchMatMul', { a: plainLeft, b: plainRight }, { transposeA: false, transposeB: false });
  if (plainLeft !== left) disposeAll(backend, plainLeft);
  if (plainRight !== right) disposeAll(backend, plainRight);
  return product;
}
