/** The worker registry (`GET /workers.json`): what each live worker process announces in Redis. */
import { Type, type Static } from 'typebox';

/** The GPU a webgpu backend runs on, as Dawn reports the adapter. */
export const GpuAdapterInfo = Type.Object({
  vendor: Type.String(),
  architecture: Type.String(),
  /** Device name (`NVIDIA H200`, `llvmpipe…`). */
  device: Type.String(),
  /** The Vulkan driver's name and version. */
  description: Type.String(),
  /** The driver version part of the description. */
  driver: Type.String(),
  /** A CPU implementation (lavapipe): never chosen by TF_BACKEND=auto. */
  software: Type.Boolean(),
});
export type GpuAdapterInfo = Static<typeof GpuAdapterInfo>;

/** The TF.js backend a process runs: name, npm package, version, its GPU on webgpu, TensorFlow's version on tensorflow. */
export const EngineInfo = Type.Object({
  name: Type.String(),
  package: Type.String(),
  version: Type.String(),
  adapter: Type.Optional(GpuAdapterInfo),
  /** The TensorFlow library under the tensorflow backend (TF_Version), e.g. `2.21.0`. */
  tensorflow: Type.Optional(Type.String()),
});
export type EngineInfo = Static<typeof EngineInfo>;

export const WorkerInfo = Type.Object({
  /** `<host>:<pid>:<random>`: unique per process start. */
  id: Type.String(),
  host: Type.String(),
  pid: Type.Integer(),
  queues: Type.Array(Type.String()),
  /** Its own training queue, for jobs placed on its GPUs (null when it does not train). */
  trainQueue: Type.Union([Type.String(), Type.Null()]),
  /** The TF.js backend it trains and infers with (null for an ingest-only worker), with its GPU on webgpu. */
  backend: Type.Union([EngineInfo, Type.Null()]),
  /** GPU indices it may use: CUDA_VISIBLE_DEVICES, else what nvidia-smi lists; empty on CPU hosts. */
  gpus: Type.Array(Type.Object({ index: Type.Integer({ minimum: 0 }), name: Type.String() })),
  /** Ids of the jobs it is running now. */
  jobs: Type.Array(Type.String()),
  memory: Type.Object({ rss: Type.Integer(), heapUsed: Type.Integer() }),
  /** Unix seconds. */
  started: Type.Number(),
  seen: Type.Number(),
});
export type WorkerInfo = Static<typeof WorkerInfo>;
