/** Per-kernel times of a training step, from `tf.profile`, keeping each kernel's fastest run. */
import { tf } from '../../packages/ml/src/tf.ts';

/** One kernel call site: its name and input shapes, with its best time over the profiled steps. */
export interface KernelTime { kernel: string; shapes: string; ms: number }

/** Profiles `step` `runs` times; returns kernels slowest first (op scopes like `conv2d__op` left out). */
export async function profileKernels(step: () => void, runs: number): Promise<KernelTime[]> {
  const best = new Map<string, KernelTime>();
  for (let r = 0; r < runs; r++) {
    const info = await tf.profile(step);
    const seen = new Map<string, number>();
    for (const k of info.kernels) {
      if (k.name.endsWith('__op')) continue;
      const shapes = JSON.stringify(k.inputShapes);
      // The same kernel on the same shapes can run several times a step: number the calls.
      const call = (seen.get(k.name + shapes) ?? 0) + 1;
      seen.set(k.name + shapes, call);
      const key = `${k.name}${shapes}#${call}`;
      const ms = k.kernelTimeMs as number;
      const entry = best.get(key);
      if (!entry || ms < entry.ms) best.set(key, { kernel: k.name, shapes, ms });
    }
  }
  return [...best.values()].sort((a, b) => b.ms - a.ms);
}

/** Times summed per kernel name, slowest first. */
export function totalsByKernel(times: KernelTime[]): Array<{ kernel: string; ms: number }> {
  const totals = new Map<string, number>();
  for (const t of times) totals.set(t.kernel, (totals.get(t.kernel) ?? 0) + t.ms);
  return [...totals].map(([kernel, ms]) => ({ kernel, ms })).sort((a, b) => b.ms - a.ms);
}
