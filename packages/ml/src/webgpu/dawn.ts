/**
 * Dawn (npm `webgpu`, its `dawn.node` ships in the package) as the WebGPU of this Node process,
 * the one place that knows how. TF.js' webgpu backend expects a browser: `navigator.gpu` and the
 * GPU* constants must exist before it creates a device, and `dataSync` needs OffscreenCanvas, so
 * code on this engine reads tensors with `data()` only.
 *
 * Choosing the adapter (one GPU per worker process):
 * - Dawn's node binding returns the first adapter Vulkan lists, optionally the first whose
 *   device name contains the `adapter=` flag. The Vulkan loader lists GPUs in PCI bus order on
 *   Linux, so without help every process on a host gets GPU 0.
 * - In containers the NVIDIA runtime mounts only the replica's GPU (`NVIDIA_VISIBLE_DEVICES`):
 *   Vulkan sees one device and nothing more is needed (docker-compose.yml does this).
 * - On a bare host with several GPUs, Mesa's device-select Vulkan layer (in Debian's
 *   mesa-vulkan-drivers) picks a device by PCI address (`DRI_PRIME=pci-…`) and, with
 *   `MESA_VK_DEVICE_SELECT_FORCE_DEFAULT_DEVICE=1`, shows only that one; the layer works for any
 *   vendor's driver. `gpuSelection` sets that up, plus the name filter when the host mixes models.
 */
import type { GpuAdapterInfo } from '@digits-ts/contracts';

/** What a worker reports about its WebGPU adapter (in /workers.json, logs and model JSON). */
export type GpuAdapter = GpuAdapterInfo;

/** The GPU a worker was started for, as nvidia-smi names it. */
export interface GpuTarget {
  /** `NVIDIA H200`. */
  name: string;
  /** PCI address as nvidia-smi prints it: `00000000:19:00.0`. */
  pciBusId: string;
}

/** How Dawn and the Vulkan loader are pointed at one GPU. */
export interface GpuSelection {
  /** Dawn node flags (`adapter=<name>`). */
  flags: string[];
  /** Variables the Vulkan layers read; set before Dawn starts. */
  env: Record<string, string>;
}

/**
 * The flags and environment that make Dawn use `target` and no other GPU of `host` (every GPU
 * nvidia-smi lists). A host with one GPU needs nothing; several need the device-select layer's
 * PCI choice; several models also get Dawn's name filter, which fails loudly when the name is
 * missing rather than training on the wrong card.
 */
export function gpuSelection(target: GpuTarget | null, host: readonly GpuTarget[]): GpuSelection {
  if (!target || host.length <= 1) return { flags: [], env: {} };
  const models = new Set(host.map((g) => g.name));
  return {
    flags: models.size > 1 ? [`adapter=${target.name}`] : [],
    env: { DRI_PRIME: driPrimeTag(target.pciBusId), MESA_VK_DEVICE_SELECT_FORCE_DEFAULT_DEVICE: '1' },
  };
}

/** nvidia-smi's `00000000:19:00.0` as Mesa's DRI_PRIME tag `pci-0000_19_00_0`. */
export function driPrimeTag(pciBusId: string): string {
  const m = /^([0-9a-f]{4,8}):([0-9a-f]{2}):([0-9a-f]{2})\.([0-9a-f])$/i.exec(pciBusId.trim());
  if (!m) throw new Error(`Expected a PCI bus id like 00000000:19:00.0 but received ${pciBusId}`);
  return `pci-${m[1]!.slice(-4).toLowerCase()}_${m[2]!.toLowerCase()}_${m[3]!.toLowerCase()}_${m[4]}`;
}

/** Adapter facts worth reporting, from Dawn's GPUAdapterInfo. */
export function describeAdapter(info: GPUAdapterInfo & { isFallbackAdapter?: boolean }): GpuAdapter {
  const description = info.description ?? '';
  const colon = description.indexOf(': ');
  const text = `${info.vendor} ${info.architecture} ${info.device} ${description}`;
  return {
    vendor: info.vendor,
    architecture: info.architecture,
    device: info.device,
    description,
    driver: colon >= 0 ? description.slice(colon + 2) : description,
    software: info.isFallbackAdapter === true || /llvmpipe|lavapipe|swiftshader|\bsoftware\b/i.test(text),
  };
}

export interface DawnOptions {
  selection?: GpuSelection;
  /** GPU timestamps for `tf.profile` (Dawn's allow_unsafe_apis); off in production. */
  timestamps?: boolean;
}

export interface DawnAdapter {
  adapter: GPUAdapter;
  info: GpuAdapter;
}

/** The GPU object stays referenced for the life of the process (its instance owns every device). */
let gpu: GPU | null = null;

/**
 * Loads Dawn, installs `navigator.gpu` and the GPU* globals, and asks for a high-performance
 * adapter. Resolves null when Vulkan lists none (no driver, no loader); rejects when the
 * selection names a GPU that is not there.
 */
export async function openDawnAdapter(options: DawnOptions = {}): Promise<DawnAdapter | null> {
  const { create, globals } = await import('webgpu');
  // the Vulkan loader and its layers read these when Dawn first enumerates devices
  Object.assign(process.env, options.selection?.env ?? {});
  const flags = [...(options.selection?.flags ?? []), ...(options.timestamps ? ['enable-dawn-features=allow_unsafe_apis'] : [])];
  gpu ??= create(flags);
  Object.assign(globalThis, globals);
  Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true, writable: true });
  const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  if (!adapter) return null;
  return { adapter, info: describeAdapter(adapter.info) };
}
