/**
 * The one door to TensorFlow.js. Everything in ml imports `tf` (core ops) and `tfl` (layers)
 * from here, and the worker calls `initBackend` once at start-up.
 *
 * Order for `auto`: native TensorFlow with CUDA (tfjs-node-gpu) when installed, then webgpu on a
 * real GPU adapter (Dawn through Vulkan) with our training kernels, then native TensorFlow on the
 * CPU (tfjs-node), then wasm with our extra training kernels, then the pure-JS cpu backend. The
 * tfjs-node packages are there only where `npm run engine -- tensorflow` built them against
 * PyPI's TensorFlow wheel (their own libtensorflow download is gone), so plain `npm ci` machines
 * lack them. A software adapter (Mesa's
 * lavapipe) is never chosen by `auto`; `TF_BACKEND=webgpu` takes it, which is how tests run webgpu.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import '@tensorflow/tfjs-backend-cpu';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { registerWasmTrainingKernels, WASM_TRAINING_KERNELS, type WasmTrainingKernel } from './kernels/index.ts';
import { openDawnAdapter, type GpuAdapter, type GpuSelection } from './webgpu/dawn.ts';
import type { WebgpuTrainingKernel } from './webgpu/kernels/index.ts';

export { tf, tfl };

export const BACKEND_CHOICES = ['auto', 'tensorflow', 'webgpu', 'wasm', 'cpu'] as const;
export type BackendChoice = (typeof BACKEND_CHOICES)[number];

/** What `initBackend` settled on; reported in model JSON and the worker's start-up log line. */
export interface BackendInfo {
  /** tfjs backend name: `tensorflow`, `webgpu`, `wasm` or `cpu`. */
  name: string;
  /** npm package that provides it. */
  package: string;
  /** That package's version. */
  version: string;
  /** The GPU it runs on (webgpu). */
  adapter?: GpuAdapter;
  /** The TensorFlow library under the tensorflow backend (its C API's TF_Version), e.g. `2.21.0`. */
  tensorflow?: string;
}

/** Options for `initBackend`; the defaults are what production wants. */
export interface InitBackendOptions {
  /** Our wasm kernels to register; benchmarks pass a subset to measure each one's effect. */
  wasmKernels?: readonly WasmTrainingKernel[];
  /** Our webgpu kernels to register, likewise. */
  webgpuKernels?: readonly WebgpuTrainingKernel[];
  /** Which GPU Dawn uses (the worker's, from `gpuSelection`); default: the first Vulkan lists. */
  gpu?: GpuSelection;
  /** GPU timestamps for `tf.profile` on webgpu (benchmarks); off in production. */
  timestamps?: boolean;
}

const require = createRequire(import.meta.url);
let chosen: BackendInfo | null = null;

function packageVersion(name: string): string {
  return (require(`${name}/package.json`) as { version: string }).version;
}

/** Why the tensorflow backend did not load; null when it runs or no tfjs-node package is installed. */
let tensorflowRefusal: string | null = null;

const TENSORFLOW_GPU = '@tensorflow/tfjs-node-gpu';
const TENSORFLOW_CPU = '@tensorflow/tfjs-node';

async function tryTensorflow(packages: readonly string[]): Promise<BackendInfo | null> {
  for (const pkg of packages) {
    try {
      require.resolve(pkg);
    } catch {
      continue;
    }
    try {
      // the package throws on import when its native addon is missing or its libraries do not load
      await import(pkg);
    } catch (err) {
      tensorflowRefusal = `${pkg} is installed but does not load (${err instanceof Error ? err.message.split('\n')[0]!.trim() : String(err)}): npm run engine -- tensorflow builds it`;
      continue;
    }
    if (await tf.setBackend('tensorflow')) {
      tensorflowRefusal = null;
      const binding = (tf.backend() as unknown as { binding: { TF_Version: string } }).binding;
      return { name: 'tensorflow', package: pkg, version: packageVersion(pkg), tensorflow: binding.TF_Version };
    }
  }
  return null;
}

const CRASH_EVENTS = ['uncaughtException', 'unhandledRejection'] as const;

/**
 * Runs `start` and then removes the `uncaughtException`/`unhandledRejection` listeners it added.
 * The emscripten glue of the wasm backend installs listeners that rethrow (printing its whole
 * minified source), which would also override the server's own handlers.
 */
async function withoutAddedCrashListeners<T>(start: () => Promise<T>): Promise<T> {
  const emitter: NodeJS.EventEmitter = process;
  const before = CRASH_EVENTS.map((event) => new Set(emitter.listeners(event)));
  try {
    return await start();
  } finally {
    CRASH_EVENTS.forEach((event, i) => {
      for (const listener of emitter.listeners(event)) {
        if (!before[i]!.has(listener)) emitter.removeListener(event, listener as (...args: unknown[]) => void);
      }
    });
  }
}

const WASM_PACKAGE = '@tensorflow/tfjs-backend-wasm';

/**
 * Readies the wasm backend (its .wasm files from the package, our training kernels) without
 * switching to it: `initBackend` does this for wasm, and tests comparing another backend with
 * wasm in one process call it themselves.
 */
export function prepareWasm(kernels: readonly WasmTrainingKernel[] = WASM_TRAINING_KERNELS): void {
  // The package ships its .wasm files in dist/; point the loader at them instead of a CDN.
  setWasmPaths(join(dirname(require.resolve(WASM_PACKAGE)), '/'));
  registerWasmTrainingKernels(kernels);
}

async function tryWasm(kernels: readonly WasmTrainingKernel[]): Promise<BackendInfo | null> {
  prepareWasm(kernels);
  if (!(await withoutAddedCrashListeners(() => tf.setBackend('wasm')))) return null;
  return { name: 'wasm', package: WASM_PACKAGE, version: packageVersion(WASM_PACKAGE) };
}

/** Why `auto` passed over webgpu, or an explicit choice of it failed; null once it runs. */
let webgpuRefusal: string | null = null;

async function tryWebgpu(options: InitBackendOptions, allowSoftware: boolean): Promise<BackendInfo | null> {
  const pkg = '@tensorflow/tfjs-backend-webgpu';
  const found = await openDawnAdapter({ selection: options.gpu, timestamps: options.timestamps }).catch((err: unknown) => {
    webgpuRefusal = `Dawn found no usable adapter (${err instanceof Error ? err.message : String(err)})`;
    return undefined;
  });
  if (found === undefined) return null;
  if (!found) {
    webgpuRefusal = 'Vulkan lists no GPU adapter (no driver or no libvulkan1; for tests, Mesa\'s lavapipe: scripts/setup-lavapipe.sh)';
    return null;
  }
  if (found.info.software && !allowSoftware) {
    webgpuRefusal = `the only adapter is software (${found.info.device}): too slow to train on; TF_BACKEND=webgpu takes it`;
    return null;
  }
  const { startWebgpuBackend } = await import('./webgpu/backend.ts');
  if (!(await startWebgpuBackend(found, options.webgpuKernels))) {
    webgpuRefusal = `the webgpu backend did not start on ${found.info.device}`;
    return null;
  }
  webgpuRefusal = null;
  return { name: 'webgpu', package: pkg, version: packageVersion(pkg), adapter: found.info };
}

async function useCpu(): Promise<BackendInfo> {
  await tf.setBackend('cpu');
  const pkg = '@tensorflow/tfjs-backend-cpu';
  return { name: 'cpu', package: pkg, version: packageVersion(pkg) };
}

/** Checks a `TF_BACKEND` value; unset or empty means `auto`. */
export function parseBackendChoice(value: string | undefined): BackendChoice {
  if (value === undefined || value === '') return 'auto';
  if ((BACKEND_CHOICES as readonly string[]).includes(value)) return value as BackendChoice;
  throw new Error(`Expected one of ${BACKEND_CHOICES.join(', ')} for TF_BACKEND but received ${value} of type string`);
}

/**
 * Selects the backend once per process: later calls return the first answer, or throw when they
 * name a different backend. An explicit choice that cannot load throws instead of silently
 * running slower.
 * Also turns on tfjs' PROD flag, which only silences its console notes (such as the cpu
 * backend's "Hi, looks like you are running TensorFlow.js in Node.js" banner).
 */
export async function initBackend(choice: BackendChoice = 'auto', options: InitBackendOptions = {}): Promise<BackendInfo> {
  if (chosen) {
    if (choice !== 'auto' && choice !== chosen.name) throw new Error(`Expected TF_BACKEND=${choice} but this process already runs TensorFlow.js on ${chosen.name}`);
    return chosen;
  }
  if (!(BACKEND_CHOICES as readonly string[]).includes(choice)) {
    throw new Error(`Expected one of ${BACKEND_CHOICES.join(', ')} for choice but received ${String(choice)} of type ${typeof choice}`);
  }
  tf.env().set('PROD', true);
  const kernels = options.wasmKernels ?? WASM_TRAINING_KERNELS;
  let info: BackendInfo | null = null;
  if (choice === 'auto') {
    info = (await tryTensorflow([TENSORFLOW_GPU])) ?? (await tryWebgpu(options, false)) ?? (await tryTensorflow([TENSORFLOW_CPU]))
      ?? (await tryWasm(kernels)) ?? (await useCpu());
  } else if (choice === 'tensorflow') info = await tryTensorflow([TENSORFLOW_GPU, TENSORFLOW_CPU]);
  else if (choice === 'webgpu') info = await tryWebgpu(options, true);
  else if (choice === 'wasm') info = await tryWasm(kernels);
  else info = await useCpu();
  if (!info) {
    const hint = choice === 'tensorflow' ? `: ${tensorflowRefusal ?? "install @tensorflow/tfjs-node with 'npm run engine -- tensorflow'"}, or use TF_BACKEND=auto`
      : choice === 'webgpu' ? `: ${webgpuRefusal}` : '';
    throw new Error(`Expected TF_BACKEND=${choice} to load but it is not available on this machine${hint}`);
  }
  await tf.ready();
  chosen = info;
  return info;
}

/** Why webgpu is not in use when `auto` passed over it (for the worker's start-up line), else null. */
export function webgpuSkipReason(): string | null {
  return chosen?.name === 'webgpu' ? null : webgpuRefusal;
}

/** The backend chosen by `initBackend`, or null before it ran. */
export function backendInfo(): BackendInfo | null {
  return chosen;
}
