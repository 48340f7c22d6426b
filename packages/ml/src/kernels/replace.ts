/**
 * Registering our kernels over a backend's own: the package's kernel is captured first (once),
 * so ours can fall back to it for cases it does not handle, and its `setupFunc` still runs.
 */
import { getKernel, registerKernel, unregisterKernel, type KernelConfig } from '@tensorflow/tfjs-core';

const stockConfigs = new Map<string, KernelConfig>();
const replaced = new Set<string>();
const keyOf = (name: string, backend: string) => `${backend}/${name}`;

/** The backend package's own kernel for `name`, remembered before anything replaces it. */
export function stockKernel(name: string, backend: string): KernelConfig | undefined {
  const key = keyOf(name, backend);
  if (!stockConfigs.has(key) && !replaced.has(key)) {
    const config = getKernel(name, backend);
    if (config) stockConfigs.set(key, config);
  }
  return stockConfigs.get(key);
}

/** Registers `config` in place of the package's kernel of that name and backend; again is harmless. */
export function replaceKernel(config: KernelConfig): void {
  const key = keyOf(config.kernelName, config.backendName);
  if (replaced.has(key)) return;
  const stock = stockKernel(config.kernelName, config.backendName);
  if (stock) unregisterKernel(config.kernelName, config.backendName);
  registerKernel(stock?.setupFunc ? { ...config, setupFunc: stock.setupFunc } : config);
  replaced.add(key);
}

/** Replaces the kernels `names` of `configs` (a backend's set of ours), checking each name. */
export function replaceKernels<K extends string>(configs: Record<K, KernelConfig>, names: readonly K[]): void {
  const known = Object.keys(configs);
  for (const name of names) {
    const config = configs[name];
    if (!config) throw new Error(`Expected one of ${known.join(', ')} for kernel but received ${String(name)} of type ${typeof name}`);
    replaceKernel(config);
  }
}
