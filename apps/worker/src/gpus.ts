/**
 * The GPUs a worker may use, for the registry and for choosing its WebGPU adapter:
 * CUDA_VISIBLE_DEVICES, named (and located on the PCI bus) by nvidia-smi when it runs.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { WorkerInfo } from '@digits-ts/contracts';
import type { BackendInfo, GpuTarget } from '@digits-ts/ml';

const run = promisify(execFile);

/** A GPU as nvidia-smi lists it. */
export interface HostGpu extends GpuTarget {
  index: number;
}

/** Every GPU nvidia-smi lists; empty when it is absent or fails (CPU hosts). */
export async function hostGpus(): Promise<HostGpu[]> {
  try {
    const { stdout } = await run('nvidia-smi', ['--query-gpu=index,pci.bus_id,name', '--format=csv,noheader'], { timeout: 5000 });
    return stdout.split('\n').map((l) => l.trim()).filter(Boolean).map((line) => {
      const [index, pciBusId, ...name] = line.split(',');
      return { index: Number(index), pciBusId: (pciBusId ?? '').trim(), name: name.join(',').trim() };
    }).filter((g) => Number.isInteger(g.index));
  } catch {
    return [];
  }
}

/** The visible GPUs: the indices `visible` names (when set), else every one the host lists. */
export function visibleGpus(visible: string, host: readonly HostGpu[]): WorkerInfo['gpus'] {
  if (visible.trim() === '') return host.map(({ index, name }) => ({ index, name }));
  const wanted = visible.split(',').map((s) => s.trim()).filter((s) => /^\d+$/.test(s)).map(Number);
  return wanted.map((index) => ({ index, name: host.find((g) => g.index === index)?.name ?? `GPU ${index}` }));
}

/** The GPU a webgpu worker drives: the first visible one, as the host lists it (null on CPU hosts). */
export function webgpuTarget(visible: WorkerInfo['gpus'], host: readonly HostGpu[]): HostGpu | null {
  const first = visible[0];
  return first ? host.find((g) => g.index === first.index) ?? null : null;
}

/**
 * The worker's GPU check, logged at start: what it trains on and, when that is the CPU, why not
 * on a GPU. A warning when nvidia-smi lists GPUs that no backend could use.
 */
export function gpuCheck(backend: BackendInfo, visible: WorkerInfo['gpus'], webgpuReason: string | null): { warn: boolean; message: string } {
  if (backend.name === 'webgpu') return { warn: false, message: `GPU check: training on ${backend.adapter?.device ?? 'a GPU'} (webgpu)` };
  const native = backend.name === 'tensorflow' ? `native TensorFlow${backend.tensorflow ? ` ${backend.tensorflow}` : ''} (${backend.package})` : null;
  if (native && backend.package.endsWith('-gpu')) return { warn: false, message: `GPU check: training on ${native}, CUDA` };
  const engine = native ?? backend.name;
  const listed = visible.map((g) => `GPU ${g.index} (${g.name})`).join(', ');
  if (webgpuReason === null) return { warn: false, message: `GPU check: TF_BACKEND=${backend.name}: training on the CPU${native ? ` with ${native}` : ''}${listed ? `; nvidia-smi lists ${listed}` : ''}` };
  if (listed) return { warn: true, message: `GPU check: nvidia-smi lists ${listed} but no GPU adapter is usable (${webgpuReason}): training on ${engine} (CPU)` };
  return { warn: false, message: `GPU check: no GPU adapter found (${webgpuReason}): training on ${engine} (CPU)` };
}
