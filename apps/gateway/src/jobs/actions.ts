/** Abort, delete and resume of one job, shared by the job routes. */
import { setTimeout as sleep } from 'node:timers/promises';
import { appendStatus, Errors, isRunningStatus, statusName, type JobRecord } from '@digits-ts/contracts';
import { clearAbort, requestAbort, requeueJob } from '@digits-ts/queue';
import { placement, settleWaitingModels } from './create-models.ts';
import type { Services } from '../services.ts';

/** How long an abort of a running job waits for the worker to confirm (milliseconds). */
const ABORT_CONFIRM_MS = 3000;

/**
 * Aborts a running job: a queued entry is removed and the job marked Aborted at once; a job a
 * worker holds is asked to stop and we wait (bounded) until the worker reports it stopped.
 */
export async function abortJob(services: Services, record: JobRecord): Promise<JobRecord> {
  const result = await stopJob(services, record);
  // models waiting for an aborted dataset are aborted with it (contract §12)
  if (record.kind === 'dataset') await settleWaitingModels(services, record.id);
  return result;
}

async function stopJob(services: Services, record: JobRecord): Promise<JobRecord> {
  if (!isRunningStatus(record.status)) throw Errors.JOB_NOT_RUNNING('Job not aborted');
  const { store, producer, redis, config } = services;
  if (!record.queueJob || (await producer.removeWaiting(record.queueJob))) {
    return (await store.setStatus(record.id, 'A', { code: 'JOB_ABORTED', message: 'aborted by user before it started' })) ?? record;
  }
  await requestAbort(redis, config.redis.prefix, record.id);
  const deadline = Date.now() + ABORT_CONFIRM_MS;
  while (Date.now() < deadline) {
    const current = await store.get(record.id);
    if (!current || !isRunningStatus(current.status)) return current ?? record;
    await sleep(50);
  }
  return (await store.get(record.id)) ?? record;
}

/** DIGITS' refusal text when models use a dataset (§11.1). */
function dependencyMessage(dataset: JobRecord, models: JobRecord[]): string {
  const names = models.map((m) => `"${m.name}"`).join(', ');
  const verb = models.length === 1 ? '1 model depends' : `${models.length} models depend`;
  return `Cannot delete "${dataset.name}" because ${verb} on it: ${names}`;
}

/** Deletes a job (aborting it first when running); refuses a dataset that models use. */
export async function deleteJob(services: Services, record: JobRecord): Promise<void> {
  if (record.kind === 'dataset') {
    const users = (await services.store.list()).filter((r) => r.kind === 'model' && r.datasetId === record.id);
    if (users.length > 0) throw Errors.JOB_IN_USE(dependencyMessage(record, users));
  }
  if (isRunningStatus(record.status)) await abortJob(services, record);
  await services.store.remove(record.id);
}

/**
 * Restarts an Aborted or Error model from its newest checkpoint (DIGITS' issue #24): Waiting
 * again, back in the training queue; the worker restores weights, optimizer and iteration.
 */
export async function resumeModel(services: Services, record: JobRecord): Promise<JobRecord> {
  if (record.status !== 'A' && record.status !== 'E') throw Errors.JOB_NOT_RESUMABLE(`Only an Aborted or Error model can be resumed; this one is ${statusName(record.status)}`);
  if (!record.model?.checkpoint) throw Errors.JOB_NOT_RESUMABLE('This model has no checkpoint to resume from (the first is written with its first snapshot); clone it to train again');
  const dataset = record.datasetId ? await services.store.get(record.datasetId) : null;
  if (dataset?.status !== 'D') throw Errors.DATASET_NOT_READY(`its dataset ${record.datasetId ?? ''} is not Done`);
  // only one of two simultaneous resumes moves it out of Aborted/Error
  let moved = false;
  const waiting = await services.store.update(record.id, (r) => {
    if (r.status !== 'A' && r.status !== 'E') return null;
    moved = true;
    return { ...r, status: 'W', statusHistory: appendStatus(r.statusHistory, 'W', Date.now() / 1000) ?? r.statusHistory, error: null };
  });
  if (!moved || !waiting) throw Errors.JOB_NOT_RESUMABLE('This model is being resumed already');
  await clearAbort(services.redis, services.config.redis.prefix, record.id);
  await requeueJob(placement(services), waiting);
  return waiting;
}
