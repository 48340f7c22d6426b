/**
 * The one door to TensorFlow.js. Everything in ml imports `tf` (core ops) and `tfl` (layers)
 * from here, and the worker calls `initBackend` once at start-up.
 *
 * Order for `auto`: the native tensorflow backend (tfjs-node-gpu, then tfjs-node) when one is
 * installed — they download libtensorflow at install time, so build and CI machines lack them —
 * then wasm with our extra training kernels, then the pure-JS cpu backend.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import '@tensorflow/tfjs-backend-cpu';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';

export { tf, tfl };

export const BACKEND_CHOICES = ['auto', 'tensorflow', 'wasm', 'cpu'] as const;
export type BackendChoice = (typeof BACKEND_CHOICES)[number];

/** What `initBackend` settled on; reported in model JSON and the worker's start-up log line. */
export interface BackendInfo {
  /** tfjs backend name: `tensorflow`, `wasm` or `cpu`. */
  name: string;
  /** npm package that provides it. */
  package: string;
  /** That package's version. */
  version: string;
}

const require = createRequire(import.meta.url);
let chosen: BackendInfo | null = null;

function packageVersion(name: string): string {
  return (require(`${name}/package.json`) as { version: string }).version;
}

async function tryTensorflow(): Promise<BackendInfo | null> {
  for (const pkg of ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node']) {
    try {
      require.resolve(pkg);
    } catch {
      continue;
    }
    await import(pkg);
    if (await tf.setBackend('tensorflow')) return { name: 'tensorflow', package: pkg, version: packageVersion(pkg) };
  }
  return null;
}

async function tryWasm(): Promise<BackendInfo | null> {
  const pkg = '@tensorflow/tfjs-backend-wasm';
  // The package ships its .wasm files in dist/; point the loader at them instead of a CDN.
  setWasmPaths(join(dirname(require.resolve(pkg)), '/'));
  const { registerWasmTrainingKernels } = await import('./kernels/index.ts');
  registerWasmTrainingKernels();
  if (!(await tf.setBackend('wasm'))) return null;
  return { name: 'wasm', package: pkg, version: packageVersion(pkg) };
}

async function useCpu(): Promise<BackendInfo> {
  await tf.setBackend('cpu');
  const pkg = '@tensorflow/tfjs-backend-cpu';
  return { name: 'cpu', package: pkg, version: packageVersion(pkg) };
}

/**
 * Selects the backend once per process (later calls return the first answer).
 * An explicit choice that cannot load throws instead of silently running slower.
 */
export async function initBackend(choice: BackendChoice = 'auto'): Promise<BackendInfo> {
  if (chosen) return chosen;
  let info: BackendInfo | null = null;
  if (choice === 'auto') info = (await tryTensorflow()) ?? (await tryWasm()) ?? (await useCpu());
  else if (choice === 'tensorflow') info = await tryTensorflow();
  else if (choice === 'wasm') info = await tryWasm();
  else info = await useCpu();
  if (!info) throw new Error(`Expected TF_BACKEND=${choice} to load but it is not available on this machine`);
  await tf.ready();
  chosen = info;
  return info;
}

/** The backend chosen by `initBackend`, or null before it ran. */
export function backendInfo(): BackendInfo | null {
  return chosen;
}
