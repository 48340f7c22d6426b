/**
 * Caffe's spatial arithmetic, so the TF.js graphs reproduce Caffe's feature-map sizes and the
 * builders can reject inputs that would shrink to nothing before allocating any weights.
 */

/** Caffe convolution output size: floor((n + 2·pad − k) / s) + 1 (can be ≤ 0 for tiny inputs). */
export function convOutSize(n: number, kernel: number, stride: number, pad: number): number {
  return Math.floor((n + 2 * pad - kernel) / stride) + 1;
}

/**
 * Caffe pooling output size: ceil mode, so a last partial window still produces an output,
 * minus one when that window would start inside the bottom padding (Caffe's clip rule).
 */
export function poolOutSize(n: number, kernel: number, stride: number, pad: number): number {
  let out = Math.ceil((n + 2 * pad - kernel) / stride) + 1;
  if (pad > 0 && (out - 1) * stride >= n + pad) out--;
  return out;
}

/** One spatial step of a network's main path (square kernels, same geometry on both axes). */
export interface SpatialOp {
  kind: 'conv' | 'pool';
  kernel: number;
  stride: number;
  pad: number;
}

/** Shorthands for the plans below. */
export const conv = (kernel: number, stride = 1, pad = 0): SpatialOp => ({ kind: 'conv', kernel, stride, pad });
export const pool = (kernel: number, stride: number, pad = 0): SpatialOp => ({ kind: 'pool', kernel, stride, pad });

/** Sizes after each op of `plan` applied to one axis of length `n` (stops at the first size < 1). */
export function planSizes(plan: readonly SpatialOp[], n: number): number[] {
  const sizes: number[] = [];
  let size = n;
  for (const op of plan) {
    size = op.kind === 'conv' ? convOutSize(size, op.kernel, op.stride, op.pad) : poolOutSize(size, op.kernel, op.stride, op.pad);
    sizes.push(size);
    if (size < 1) break;
  }
  return sizes;
}

/** Whether every step of every plan keeps an axis of length `n` at ≥ 1. */
function fits(plans: readonly (readonly SpatialOp[])[], n: number): boolean {
  return plans.every((plan) => planSizes(plan, n).every((s) => s >= 1));
}

/** Smallest axis length that every plan accepts (the sizes are monotone in n). */
export function minInputSize(plans: readonly (readonly SpatialOp[])[]): number {
  let n = 1;
  while (!fits(plans, n)) n++;
  return n;
}

/**
 * Throws an argument error when `height`×`width` is too small for `network`'s plans, e.g.
 * `Expected input of at least 39×39 for alexnet but received 28×28`.
 */
export function assertInputSize(
  network: string, plans: readonly (readonly SpatialOp[])[], height: number, width: number,
): void {
  if (fits(plans, height) && fits(plans, width)) return;
  const min = minInputSize(plans);
  throw new Error(`Expected input of at least ${min}×${min} for ${network} but received ${height}×${width}`);
}
