/**
 * The GPUs a worker may use, for the registry and for choosing its WebGPU adapters:
 * CUDA_VISIBLE_DEVICES, named (and located on the PCI bus) by nvidia-smi when it runs. A webgpu
 * worker's own device drives the first; a training that asks for several GPUs also runs on the
 * others (`trainingGpus`).
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { TrainModelOptions, WorkerInfo } from '@digits-ts/contracts';
import { gpuSelection, type BackendInfo, type GpuSelection, type GpuTarget } from '@digits-ts/ml';

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

/** The GPUs one training runs on: the trainer thread's, then one replica thread's each. */
export interface TrainingGpus {
  gpus: WorkerInfo['gpus'];
  /** How each replica thread's Dawn device finds its GPU (`gpus[1..]`). */
  replicaGpus: GpuSelection[];
}

/**
 * The GPUs a training asking for `wanted` (its named list, else a count) runs on here: the
 * worker's first GPU, which its own webgpu device drives (the trainer thread), then the other
 * named ones, then any others, up to the count. Several GPUs train data-parallel, a replica
 * thread per further GPU with its own device; a CPU engine trains on none.
 */
export function trainingGpus(wanted: TrainModelOptions['gpus'], backend: BackendInfo | null, visible: WorkerInfo['gpus'], host: readonly HostGpu[]): TrainingGpus {
  if (backend?.name !== 'webgpu' || visible.length === 0) return { gpus: [], replicaGpus: [] };
  const count = Math.min(Math.max(wanted.list.length, wanted.count), visible.length);
  const named = wanted.list.map((i) => visible.find((g) => g.index === i)).filter((g) => g !== undefined);
  const order = [visible[0]!, ...named, ...visible].filter((g, i, all) => all.findIndex((o) => o.index === g.index) === i);
  const gpus = order.slice(0, count);
  return { gpus, replicaGpus: gpus.slice(1).map((g) => gpuSelection(host.find((h) => h.index === g.index) ?? null, host)) };
}
