/**
 * Where a model's training runs: a job that names GPUs (`select_gpus`), or asks for several
 * (`select_gpu_count` ≥ 2, trained data-parallel on one worker), goes to the own queue of a live
 * training worker that has them (an idle one first); any other job to the shared `train` queue.
 * Models waiting for their dataset are placed when it finishes.
 */
import { isRunningStatus, trainPayloadOf, type JobRecord, type QueueRef, type TrainModelOptions, type WorkerInfo } from '@digits-ts/contracts';
import type { JobStore } from '../store/job-store.ts';
import type { QueueProducer } from '../bullmq/producer.ts';
import { storeKey, type Redis } from '../redis.ts';
import { takeDatasetWaiters } from './waiters.ts';
import { listWorkers } from './worker-registry.ts';

export interface PlacementDeps { store: JobStore; producer: QueueProducer; redis: Redis; prefix: string }

/** The training workers among `workers` that have every GPU index in `gpus`. */
export function trainersWithGpus(workers: readonly WorkerInfo[], gpus: readonly number[]): WorkerInfo[] {
  return workers.filter((w) => w.trainQueue !== null && gpus.every((i) => w.gpus.some((g) => g.index === i)));
}

/** The training workers among `workers` that have at least `count` GPUs. */
export function trainersWithGpuCount(workers: readonly WorkerInfo[], count: number): WorkerInfo[] {
  return workers.filter((w) => w.trainQueue !== null && w.gpus.length >= count);
}

/** The queue for a training that asks for `gpus`: its named indices, else a count (1: any worker). */
export async function trainingQueueFor(redis: Redis, prefix: string, gpus: TrainModelOptions['gpus']): Promise<QueueRef> {
  if (gpus.list.length === 0 && gpus.count <= 1) return 'train';
  const workers = await listWorkers(redis, prefix);
  const fits = gpus.list.length > 0 ? trainersWithGpus(workers, gpus.list) : trainersWithGpuCount(workers, gpus.count);
  // none left (it stopped since the form was checked): the shared queue still trains it somewhere
  if (fits.length === 0) return 'train';
  fits.sort((a, b) => a.jobs.length - b.jobs.length);
  return fits[0]!.trainQueue as QueueRef;
}

/** Enqueues `record`'s training where it is placed, and records that queue in the job record. */
export async function enqueueTraining(deps: PlacementDeps, record: JobRecord): Promise<void> {
  const queue = await trainingQueueFor(deps.redis, deps.prefix, (record.params as TrainModelOptions).gpus);
  if (record.queueJob && record.queueJob.queue !== queue) {
    const queueJob = { ...record.queueJob, queue };
    await deps.store.update(record.id, (r) => ({ ...r, queueJob }));
  }
  await deps.producer.enqueue('train-model', trainPayloadOf(record), queue);
}

/**
 * Starts (dataset Done) or aborts (dataset failed) every model waiting for `datasetId`. The
 * worker calls it when a build ends, the gateway after registering a waiter; taking the waiters
 * is atomic, so each model is released once.
 */
export async function releaseDatasetWaiters(deps: PlacementDeps, datasetId: string, datasetDone: boolean): Promise<void> {
  for (const modelId of await takeDatasetWaiters(deps.redis, deps.prefix, datasetId)) {
    const record = await deps.store.get(modelId);
    if (!record || !isRunningStatus(record.status)) continue;
    if (datasetDone) await enqueueTraining(deps, record);
    else await deps.store.setStatus(modelId, 'A', { code: 'DATASET_BUILD_FAILED', message: `its dataset ${datasetId} did not finish` });
  }
}

/**
 * Queues the models waiting for `datasetId` if it is Done by now, or aborts them if it failed.
 * Called after registering a waiter, so a build that ended meanwhile cannot strand a model;
 * the worker does the same when a build ends, and deterministic queue ids make doubles harmless.
 */
export async function settleDatasetWaiters(deps: PlacementDeps, datasetId: string): Promise<void> {
  const dataset = await deps.store.get(datasetId);
  if (dataset && isRunningStatus(dataset.status)) return;
  await releaseDatasetWaiters(deps, datasetId, dataset?.status === 'D');
}

/** One sweeper acts on a stranded job at a time (milliseconds its claim lasts). */
const ADOPT_CLAIM_MS = 60_000;

/**
 * Training placed on a worker's own queue (`select_gpus`) is stranded when that worker dies: no
 * other worker serves its queue, so BullMQ's stalled check never sees the job. Live trainers
 * call this now and then: a running model whose queue belongs to no live worker, and whose
 * queue entry is waiting or lost its lock, is placed again (it resumes from its checkpoint).
 * Returns the ids of the models moved.
 */
export async function adoptStrandedTraining(deps: PlacementDeps): Promise<string[]> {
  const live = new Set((await listWorkers(deps.redis, deps.prefix)).map((w) => w.trainQueue).filter((q): q is string => q !== null));
  const stranded = (await deps.store.list()).filter((r) => r.kind === 'model' && isRunningStatus(r.status) && r.queueJob && r.queueJob.queue !== 'train' && !live.has(r.queueJob.queue));
  const moved: string[] = [];
  for (const record of stranded) {
    const ref = record.queueJob!;
    const job = await deps.producer.queue(ref.queue).getJob(ref.id);
    if (!job) continue; // waiting for its dataset, or already moved
    const state = await job.getState();
    if (state === 'active' && (await deps.redis.exists(`${deps.prefix}:${ref.queue}:${ref.id}:lock`)) === 1) continue; // its worker still holds it
    if ((await deps.redis.set(storeKey(deps.prefix, 'adopt', record.id), '1', 'PX', ADOPT_CLAIM_MS, 'NX')) !== 'OK') continue;
    try {
      await job.remove();
    } catch {
      continue; // a worker took it meanwhile
    }
    const current = await deps.store.get(record.id);
    if (current && isRunningStatus(current.status)) await enqueueTraining(deps, current);
    moved.push(record.id);
  }
  return moved;
}
