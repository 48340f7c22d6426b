/** What every processor receives besides its job: config, logger, stores and abort signals. */
import type { WorkerConfig } from '@digits-ts/config';
import type { Logger } from '@digits-ts/logger';
import type { JobStore, QueueProducer, Redis } from '@digits-ts/queue';
import type { ImagePool } from './dataset-build/image-pool.ts';
import type { ModelCache } from './inference/model-cache.ts';
import type { WorkerInfo } from '@digits-ts/contracts';
import type { HostGpu } from './gpus.ts';

export interface WorkerContext {
  /** This process in the worker registry (`host:pid:key`); recorded with the snapshots it writes. */
  workerId: string;
  config: WorkerConfig;
  log: Logger;
  redis: Redis;
  store: JobStore;
  /** For follow-up work: models released when their dataset finishes. */
  producer: QueueProducer;
  /** Image threads, started on first use. */
  imagePool(): ImagePool;
  /** DATA_ROOTS as configured and resolved through symlinks. */
  roots: string[];
  /** Models loaded for inference (LRU, INFER_CACHE_MODELS). */
  models: ModelCache;
  /** Where the gateway stores uploaded images for inference (JOBS_DIR/.uploads). */
  uploadsDir: string;
  /** The GPUs this worker may use (CUDA_VISIBLE_DEVICES) and every GPU nvidia-smi lists. */
  gpus: { visible: WorkerInfo['gpus']; host: HostGpu[] };
  /** Abort controllers of the jobs this process is running, by job id. */
  running: Map<string, AbortController>;
}
