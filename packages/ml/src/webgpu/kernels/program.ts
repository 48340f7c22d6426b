/**
 * Our WGSL programs in TF.js' webgpu program form: the backend writes the preamble (bindings
 * named after `variableNames`, the `uniforms` struct with every input's shape, `result`), caches
 * the pipeline by `shaderKey` and batches the dispatch with its own. Shapes travel as uniforms,
 * so one compiled shader serves every shape of its kind.
 */
import type { NamedAttrMap, TensorInfo } from '@tensorflow/tfjs-core';
import { stockKernel } from '../../kernels/replace.ts';
import type { WebGPUBackend, WebGPUProgram } from '@tensorflow/tfjs-backend-webgpu';

/** One uniform value as `runWebGPUProgram` takes it (scalars only in our programs). */
export interface Uniform {
  type: 'int32' | 'float32';
  data: number[];
}

/** Named scalar uniforms, in declaration order. */
export type Uniforms = [name: string, type: 'int32' | 'float32', value: number][];

/** Threads per workgroup of our programs (a flat [N, 1, 1] workgroup). */
export const WORKGROUP = 256;

/**
 * The workgroup's linear index in a flat dispatch. The backend folds dispatches longer than the
 * device's per-dimension limit into x·y(·z), so programs never read `workgroupId.x` alone.
 */
export const LINEAR_WORKGROUP = 'i32((workgroupId.z * numWorkgroups.y + workgroupId.y) * numWorkgroups.x + workgroupId.x)';

/** Base of our programs: a flat dispatch of `workgroups` groups, uniforms declared by name. */
export abstract class FlatProgram implements WebGPUProgram {
  readonly dispatchLayout = { x: [0] };
  dispatch: [number, number, number];
  readonly workgroupSize: [number, number, number];
  readonly uniforms: string;
  readonly uniformData: Uniform[];
  abstract readonly variableNames: string[];
  abstract shaderKey: string;

  constructor(readonly outputShape: number[], workgroups: number, uniforms: Uniforms, workgroupSize = WORKGROUP) {
    this.dispatch = [Math.max(1, workgroups), 1, 1];
    this.workgroupSize = [workgroupSize, 1, 1];
    this.uniforms = uniforms.map(([name, type]) => `${name} : ${type === 'int32' ? 'i32' : 'f32'},`).join(' ');
    this.uniformData = uniforms.map(([, type, value]) => ({ type, data: [value] }));
  }

  /** WGSL after the preamble; must define `fn main(index : i32)` (the flat dispatch calls it so). */
  abstract getUserCode(): string;

  /** Runs on `backend` and returns the new output tensor. */
  run(backend: WebGPUBackend, inputs: TensorInfo[], dtype: 'float32' | 'int32' = 'float32'): TensorInfo {
    return backend.runWebGPUProgram(this, inputs, dtype, this.uniformData);
  }
}

/** `ceil(a / b)` for positive integers. */
export const ceilDiv = (a: number, b: number): number => Math.floor((a + b - 1) / b);

/** The package's own webgpu kernel `name`, for the cases ours leaves to it. */
export function callStock(name: string, inputs: Record<string, TensorInfo>, backend: WebGPUBackend, attrs: object): TensorInfo {
  const config = stockKernel(name, 'webgpu');
  if (!config) throw new Error(`Expected the webgpu package to register ${name} but it did not`);
  return config.kernelFunc({ inputs, backend, attrs: attrs as NamedAttrMap }) as TensorInfo;
}
