/**
 * Where a model's training runs: a job that names GPUs (`select_gpus`) goes to the own queue of
 * a live training worker that has them (an idle one first); any other job to the shared `train`
 * queue. Models waiting for their dataset are placed when it finishes.
 */
import { isRunningStatus, trainPayloadOf, type JobRecord, type QueueRef, type TrainModelOptions, type WorkerInfo } from '@digits-ts/contracts';
import type { JobStore } from './job-store.ts';
import type { QueueProducer } from './producer.ts';
import type { Redis } from './redis.ts';
import { takeDatasetWaiters } from './waiters.ts';
import { listWorkers } from './worker-registry.ts';

export interface PlacementDeps { store: JobStore; producer: QueueProducer; redis: Redis; prefix: string }

/** The training workers among `workers` that have every GPU index in `gpus`. */
export function trainersWithGpus(workers: readonly WorkerInfo[], gpus: readonly number[]): WorkerInfo[] {
  return workers.filter((w) => w.trainQueue !== null && gpus.every((i) => w.gpus.some((g) => g.index === i)));
}

/** The queue for a training that asks for GPU indices `gpus` (empty: any worker). */
export async function trainingQueueFor(redis: Redis, prefix: string, gpus: readonly number[]): Promise<QueueRef> {
  if (gpus.length === 0) return 'train';
  const fits = trainersWithGpus(await listWorkers(redis, prefix), gpus);
  // none left (it stopped since the form was checked): the shared queue still trains it somewhere
  if (fits.length === 0) return 'train';
  fits.sort((a, b) => a.jobs.length - b.jobs.length);
  return fits[0]!.trainQueue as QueueRef;
}

/** Enqueues `record`'s training where it is placed, and records that queue in the job record. */
export async function enqueueTraining(deps: PlacementDeps, record: JobRecord): Promise<void> {
  const queue = await trainingQueueFor(deps.redis, deps.prefix, (record.params as TrainModelOptions).gpus.list);
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
