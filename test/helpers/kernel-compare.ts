/** Comparing a backend's kernels with the cpu backend's: seeded cases, host tensors, the error measure. */
import { tf } from '@digits-ts/ml';

/** mulberry32 and helpers over it, so every run sees the same cases. */
export function seededCases(seed: number) {
  let a = seed >>> 0;
  const rand = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let r = Math.imul(a ^ (a >>> 15), a | 1);
    r ^= r + Math.imul(r ^ (r >>> 7), r | 61);
    return ((r ^ (r >>> 14)) >>> 0) / 4294967296;
  };
  const int = (lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo + 1));
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  return { rand, int, pick };
}

export interface HostTensor { shape: number[]; data: Float32Array }

/** Runs one kernel on `backend` with host inputs and returns its output as host data. */
export async function runKernelOn(backend: string, kernel: string, inputs: Record<string, HostTensor>, attrs: object): Promise<HostTensor> {
  await tf.setBackend(backend);
  const tensors = Object.fromEntries(Object.entries(inputs).map(([k, v]) => [k, tf.tensor(v.data, v.shape)]));
  const out = tf.engine().runKernel(kernel, tensors, attrs as tf.NamedAttrMap) as tf.Tensor;
  const result = { shape: out.shape, data: (await out.data()) as Float32Array };
  tf.dispose([out, ...Object.values(tensors)]);
  return result;
}

/** Largest |a − b| relative to the reference's largest magnitude (at least 1). */
export function relativeError(actual: HostTensor, expected: HostTensor): number {
  let scale = 1;
  for (const v of expected.data) scale = Math.max(scale, Math.abs(v));
  let worst = 0;
  for (let i = 0; i < expected.data.length; i++) worst = Math.max(worst, Math.abs(actual.data[i]! - expected.data[i]!));
  return worst / scale;
}
