/**
 * Configuration loaders: pure functions over an env object returning frozen typed config.
 * Each app's entry calls its loader once; nothing else reads process.env.
 */
import { QUEUES } from '@digits-ts/contracts';
import { readEnv, v, type Env } from './env.ts';

import { ConfigError } from './env.ts';
export { ConfigError, type Env, type VarDef } from './env.ts';
export { isWithinRoots } from './roots.ts';

/** Variables both apps read. */
export const COMMON_VARS = {
  REDIS_URL: v.string('Redis connection URL (shared by gateway and workers)', 'redis://127.0.0.1:6379'),
  QUEUE_PREFIX: v.string('Prefix of every Redis key and BullMQ queue, so several installs can share one Redis', 'digits'),
  JOBS_DIR: v.absDir('Folder holding one sub-folder per job (shared by gateway and workers)', '.data/jobs'),
  DATA_ROOTS: v.dirList('Colon-separated folders whose images and lists may be named by server paths in forms; empty allows none'),
  LOG_LEVEL: v.choice('pino log level', 'info', ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const),
  SHUTDOWN_TIMEOUT_MS: v.int('Time allowed for a graceful shutdown before the process exits anyway (milliseconds)', '10000'),
};

export const GATEWAY_VARS = {
  ...COMMON_VARS,
  HTTP_HOST: v.string('Address the gateway listens on', '127.0.0.1'),
  HTTP_PORT: v.port('Port the gateway listens on', '5000'),
  SESSION_KEY: v.string('Hex or base64 32-byte key for the username session cookie; empty: generated once and kept in JOBS_DIR/.session-key', ''),
  AUTH_MODE: v.choice('Who a request is: username (DIGITS: a self-declared name, no security) or token (Authorization: Bearer tokens issued by npm run tokens)', 'username', ['username', 'token'] as const),
  UPLOAD_MAX_BYTES: v.int('Largest accepted upload, per file; also the most the form fields of one request may add up to (bytes)', String(64 * 1024 * 1024)),
  UPLOAD_MAX_FILES: v.int('Most files accepted in one request', '8'),
  SERVER_NAME: v.string('Optional server_name reported by /index.json', ''),
  INFER_TIMEOUT_MS: v.int('Longest an inference request waits for a worker before answering 504 (milliseconds)', '30000'),
  RATE_LIMIT_INFER_PER_MIN: v.count('Inference requests (classify_*, top_n, infer_*, visualize-network) one client address may make per minute, per gateway; more answer 429 RATE_LIMITED (0: no limit)', '600'),
  RATE_LIMIT_LOGIN_PER_MIN: v.count('Logins (POST /login) one client address may make per minute, per gateway; more answer 429 RATE_LIMITED (0: no limit)', '30'),
  PRESSURE_MAX_EVENT_LOOP_DELAY_MS: v.count('Mean event-loop delay (sampled each second) above which the gateway sheds requests with 503 SERVER_BUSY and Retry-After; /health and /metrics still answer (milliseconds; 0: off)', '1000'),
  PRESSURE_MAX_HEAP_BYTES: v.count('Heap in use above which the gateway sheds requests the same way (bytes; 0: off)', '0'),
};

export const WORKER_VARS = {
  ...COMMON_VARS,
  WORKER_QUEUES: v.choiceList('Comma list of the queues this worker process serves', QUEUES.join(','), QUEUES),
  INGEST_CONCURRENCY: v.int('Dataset builds one worker process runs at once', '1'),
  DATASET_THREADS: v.threads('Image-decoding threads per dataset build (empty: one per CPU)'),
  IMAGE_MAX_PIXELS: v.int('Largest image accepted, width x height (pixels); guards against decompression bombs', String(8192 * 8192)),
  INFER_CACHE_MODELS: v.int('Models a worker keeps loaded for inference (least recently used evicted)', '4'),
  TRAIN_IN_MEMORY_MAX_BYTES: v.count('Largest dataset a training holds in memory, its train and val images decoded (bytes); a larger split streams from its LMDB through a bounded read-ahead of a few batches (0: always stream)', String(2 * 1024 ** 3)),
  TRAIN_THREADS: v.threads('Threads sharing each training batch on the wasm and cpu backends, as data-parallel replicas (empty: one per CPU); the tensorflow backend runs one, webgpu one per GPU the job asks for'),
  WORKER_TTL_MS: v.int('How long a worker stays listed in /workers.json without a heartbeat (milliseconds; it beats every third of that)', '15000'),
  METRICS_PORT: v.optionalPort('Port of this worker\'s Prometheus /metrics endpoint (on METRICS_HOST; 0: any free port); empty: none'),
  METRICS_HOST: v.string('Address the worker\'s /metrics endpoint listens on', '127.0.0.1'),
  CUDA_VISIBLE_DEVICES: v.string('GPU indices this worker may use (comma list, as CUDA reads it); empty: every GPU nvidia-smi lists, none on CPU hosts; webgpu: the first drives the worker\'s device, a job asking for several GPUs trains data-parallel on the others too', ''),
  QUEUE_LOCK_MS: v.int('A job whose worker stops renewing its lock this long (kill -9, lost host) goes back to the queue and resumes elsewhere (milliseconds)', '30000'),
  QUEUE_STALLED_CHECK_MS: v.int('How often a worker looks for such stalled jobs (milliseconds)', '15000'),
  CHECKPOINT_INTERVAL_MS: v.count('Training also checkpoints (weights, optimizer, iteration) when this long has passed since the last checkpoint, besides every snapshot and at shutdown (milliseconds; 0: only those)', '300000'),
  TF_BACKEND: v.choice('TensorFlow.js backend for training and inference: auto tries tensorflow on CUDA (tfjs-node-gpu), then webgpu on a real GPU adapter (Dawn over Vulkan), then tensorflow on the CPU (tfjs-node), then wasm, then cpu (the tfjs-node packages: npm run engine -- tensorflow); webgpu also takes a software adapter (lavapipe, for tests)', 'auto', ['auto', 'tensorflow', 'webgpu', 'wasm', 'cpu'] as const),
};

function freeze<T extends object>(value: T): Readonly<T> {
  return Object.freeze(value);
}

/** The gateway's configuration. Throws ConfigError listing every bad variable. */
export function loadGatewayConfig(env: Env) {
  const e = readEnv(GATEWAY_VARS, env);
  return freeze({
    http: freeze({ host: e.HTTP_HOST, port: e.HTTP_PORT }),
    redis: freeze({ url: e.REDIS_URL, prefix: e.QUEUE_PREFIX }),
    jobsDir: e.JOBS_DIR,
    dataRoots: Object.freeze([...e.DATA_ROOTS]),
    sessionKey: e.SESSION_KEY,
    authMode: e.AUTH_MODE,
    uploads: freeze({ maxBytes: e.UPLOAD_MAX_BYTES, maxFiles: e.UPLOAD_MAX_FILES }),
    serverName: e.SERVER_NAME,
    inferTimeoutMs: e.INFER_TIMEOUT_MS,
    rateLimits: freeze({ inferPerMinute: e.RATE_LIMIT_INFER_PER_MIN, loginPerMinute: e.RATE_LIMIT_LOGIN_PER_MIN }),
    pressure: freeze({ maxEventLoopDelayMs: e.PRESSURE_MAX_EVENT_LOOP_DELAY_MS, maxHeapBytes: e.PRESSURE_MAX_HEAP_BYTES }),
    logLevel: e.LOG_LEVEL,
    shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_MS,
  });
}
export type GatewayConfig = ReturnType<typeof loadGatewayConfig>;

/** A worker process's configuration. Throws ConfigError listing every bad variable. */
export function loadWorkerConfig(env: Env) {
  const e = readEnv(WORKER_VARS, env);
  return freeze({
    redis: freeze({ url: e.REDIS_URL, prefix: e.QUEUE_PREFIX }),
    jobsDir: e.JOBS_DIR,
    dataRoots: Object.freeze([...e.DATA_ROOTS]),
    queues: Object.freeze([...e.WORKER_QUEUES]),
    ingestConcurrency: e.INGEST_CONCURRENCY,
    datasetThreads: e.DATASET_THREADS,
    imageMaxPixels: e.IMAGE_MAX_PIXELS,
    tfBackend: e.TF_BACKEND,
    trainThreads: e.TRAIN_THREADS,
    trainInMemoryMaxBytes: e.TRAIN_IN_MEMORY_MAX_BYTES,
    inferCacheModels: e.INFER_CACHE_MODELS,
    heartbeatTtlMs: e.WORKER_TTL_MS,
    queueLockMs: e.QUEUE_LOCK_MS,
    stalledCheckMs: e.QUEUE_STALLED_CHECK_MS,
    checkpointEveryMs: e.CHECKPOINT_INTERVAL_MS,
    visibleGpus: e.CUDA_VISIBLE_DEVICES,
    metrics: freeze({ port: e.METRICS_PORT, host: e.METRICS_HOST }),
    logLevel: e.LOG_LEVEL,
    shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_MS,
  });
}
export type WorkerConfig = ReturnType<typeof loadWorkerConfig>;

/** Every variable either app reads, for the README table test. */
export const ALL_VARS = { ...GATEWAY_VARS, ...WORKER_VARS };

/** For process entries: loads config or prints every problem and exits 2 before anything opens. */
export function loadOrExit<T>(load: (env: Env) => T, env: Env): T {
  try {
    return load(env);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`${err.message}\n`);
    process.exit(2);
  }
}
