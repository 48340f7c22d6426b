/** Starts the queue runners this process serves; returns a handle whose close() shuts down in order. */
import fs from 'node:fs/promises';
import path from 'node:path';
import { placedTrainQueue, UPLOADS_DIR, type QueueRef } from '@digits-ts/contracts';
import type { Worker } from 'bullmq';
import type { WorkerConfig } from '@digits-ts/config';
import type { Logger } from '@digits-ts/logger';
import { gpuSelection, initBackend, onGpuLost, webgpuSkipReason } from '@digits-ts/ml';
import os from 'node:os';
import { randomBytes } from 'node:crypto';
import { adoptStrandedTraining, createRedis, JobStore, QueueProducer, startQueueWorker, subscribeAborts, WorkerHeartbeat, type Processor } from '@digits-ts/queue';
import { gpuCheck, hostGpus, visibleGpus, webgpuTarget } from './gpus.ts';
import { startMetricsServer } from './metrics.ts';
import type { WorkerContext } from './context.ts';
import { createImagePool, type ImagePool } from './dataset-build/image-pool.ts';
import { ModelCache } from './inference/model-cache.ts';
import { processorsFor } from './registry.ts';
import { failStalledOut } from './processors/job-lifecycle.ts';

export interface WorkerHandle {
  ctx: WorkerContext;
  /** `http://host:port` of its /metrics endpoint, when METRICS_PORT is set. */
  metricsUrl: string | null;
  /** Its entry in the worker registry (`GET /workers.json`). */
  heartbeat: WorkerHeartbeat;
  close(): Promise<void>;
}

/** One job at a time across the runners it guards (a worker trains one model at a time: one per GPU). */
class Slot {
  private tail: Promise<void> = Promise.resolve();

  guard(processors: Map<string, Processor>): Map<string, Processor> {
    return new Map([...processors].map(([name, processor]) => [name, (job, token) => this.run(() => processor(job, token))]));
  }

  private run<T>(work: () => Promise<T>): Promise<T> {
    const result = this.tail.then(work);
    this.tail = result.then(() => undefined, () => undefined);
    return result;
  }
}

async function resolveRoots(roots: readonly string[]): Promise<string[]> {
  const real = await Promise.all(roots.map((r) => fs.realpath(r).catch(() => r)));
  return [...new Set([...roots, ...real])];
}

async function warnUnlessNoeviction(redis: WorkerContext['redis'], log: Logger): Promise<void> {
  try {
    const [, policy] = (await redis.config('GET', 'maxmemory-policy')) as [string, string];
    if (policy !== 'noeviction') log.warn({ policy }, 'Redis maxmemory-policy should be noeviction, or queued jobs can be evicted');
  } catch {
    // managed Redis services may refuse CONFIG; nothing to check then
  }
}

export async function startWorker(config: WorkerConfig, log: Logger): Promise<WorkerHandle> {
  const redis = createRedis(config.redis.url, 'worker');
  const subscriber = createRedis(config.redis.url, 'subscriber');
  let pool: ImagePool | null = null;
  const key = randomBytes(3).toString('hex');
  const id = `${os.hostname()}:${process.pid}:${key}`;
  const host = await hostGpus();
  const gpus = visibleGpus(config.visibleGpus, host);
  const ctx: WorkerContext = {
    workerId: id,
    config, log, redis,
    store: new JobStore(redis, config.redis.prefix, config.jobsDir),
    producer: new QueueProducer(createRedis(config.redis.url, 'client'), config.redis.prefix),
    imagePool: () => (pool ??= createImagePool(config.datasetThreads)),
    roots: await resolveRoots(config.dataRoots),
    running: new Map(),
    models: new ModelCache(config.inferCacheModels),
    uploadsDir: path.join(config.jobsDir, UPLOADS_DIR),
    gpus: { visible: gpus, host },
  };
  if (config.queues.includes('ingest')) ctx.imagePool(); // start the image threads now, not in the first build
  // the process's webgpu backend drives the first GPU it may use; a training asking for several
  // GPUs runs a replica thread with its own device on each further one (gpus.ts trainingGpus)
  const gpu = gpuSelection(webgpuTarget(gpus, host), host);
  const backend = config.queues.includes('train') || config.queues.includes('infer') ? await initBackend(config.tfBackend, { gpu }) : null;
  // nothing runs on a lost device: leave at once, so the job's lock runs out and another worker
  // continues from its checkpoint (a graceful stop would checkpoint from the dead device)
  if (backend?.name === 'webgpu') onGpuLost((reason) => { log.fatal({ reason }, 'GPU device lost: exiting'); process.exit(1); });
  if (backend?.name === 'webgpu' && gpus.length > 1) log.info({ gpus }, 'a training that asks for several GPUs trains data-parallel across them; others run on the first');
  await subscribeAborts(subscriber, config.redis.prefix, (jobId) => ctx.running.get(jobId)?.abort());
  await warnUnlessNoeviction(redis, log);
  // a trainer also serves its own queue, for jobs placed on its GPUs; one training at a time across both
  const trainQueue = config.queues.includes('train') ? placedTrainQueue(key) : null;
  const trainingSlot = new Slot();
  const runners: Worker[] = [];
  const serve = (queue: QueueRef, processors: Map<string, Processor>) => {
    if (processors.size === 0) return;
    const concurrency = queue === 'ingest' ? config.ingestConcurrency : 1;
    const runner = startQueueWorker(queue, processors, { connection: redis, prefix: config.redis.prefix, concurrency, lockDuration: config.queueLockMs, stalledInterval: config.stalledCheckMs });
    runner.on('failed', (job, err) => log.warn({ queue, jobId: job?.id, reason: err.message }, 'queue job failed'));
    // Redis gone for a while (restart, failover): BullMQ reconnects by itself; an unheard 'error' would kill the process
    runner.on('error', (err) => log.warn({ queue, err: err.message }, 'queue connection error'));
    // another worker died holding this job: it is back in the queue, or failed after MAX_STALLS
    runner.on('stalled', (queueJobId) => {
      log.warn({ queue, queueJobId }, 'stalled job found (its worker stopped)');
      void failStalledOut(ctx, queue, queueJobId).catch((err: unknown) => log.error({ err }, 'stalled job not marked'));
    });
    runners.push(runner);
  };
  for (const queue of config.queues) serve(queue, queue === 'train' ? trainingSlot.guard(processorsFor('train', ctx)) : processorsFor(queue, ctx));
  if (trainQueue) serve(trainQueue, trainingSlot.guard(processorsFor('train', ctx)));
  const started = Date.now() / 1000;
  const heartbeat = new WorkerHeartbeat(redis, config.redis.prefix, config.heartbeatTtlMs, () => {
    const memory = process.memoryUsage();
    return {
      id, host: os.hostname(), pid: process.pid, queues: [...config.queues], trainQueue, backend, gpus,
      jobs: [...ctx.running.keys()], memory: { rss: memory.rss, heapUsed: memory.heapUsed }, started, seen: Date.now() / 1000,
    };
  });
  await heartbeat.start();
  // a dead trainer's own queue has nobody to notice its stalled job: trainers look for such jobs
  const adopter = trainQueue ? setInterval(() => {
    adoptStrandedTraining({ store: ctx.store, producer: ctx.producer, redis, prefix: config.redis.prefix })
      .then((moved) => { if (moved.length > 0) log.warn({ models: moved }, 'training stranded on a stopped worker\'s queue placed again'); })
      .catch((err: unknown) => log.warn({ err }, 'looking for stranded training failed'));
  }, config.stalledCheckMs) : null;
  adopter?.unref();
  const metricsServer = config.metrics.port === null ? null : await startMetricsServer(config.metrics.port, config.metrics.host);
  const skipped = backend ? webgpuSkipReason() : null;
  const webgpu = skipped ? { webgpu: skipped } : {};
  log.info({ id, queues: config.queues, threads: config.datasetThreads, dataRoots: config.dataRoots, tfBackend: backend, ...webgpu, gpus }, 'worker started');
  if (backend) {
    const check = gpuCheck(backend, gpus, skipped);
    if (check.warn) log.warn(check.message);
    else log.info(check.message);
  }

  return {
    ctx,
    heartbeat,
    metricsUrl: metricsServer ? `http://${config.metrics.host}:${(metricsServer.address() as import('node:net').AddressInfo).port}` : null,
    async close() {
      metricsServer?.close();
      if (adopter) clearInterval(adopter);
      // 1. stop fetching and let active jobs finish; 2. leave the registry, close pools; 3. quit Redis
      await Promise.all(runners.map((r) => r.close()));
      await heartbeat.stop().catch(() => heartbeat.pause());
      await pool?.close();
      await ctx.models.clear();
      await ctx.producer.close();
      await ctx.store.close();
      await subscriber.quit().catch(() => subscriber.disconnect());
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}
