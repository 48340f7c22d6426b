/**
 * Puts a job record's work back in its queue: after Redis lost its queues (the index rebuilt
 * from JOBS_DIR), or when a user resumes a model. A training continues from its checkpoint.
 */
import { Errors, isRunningStatus, JOBS, payloadChecker, queueJobIdOf, type JobName, type JobRecord, type RecordJobName } from '@digits-ts/contracts';
import { enqueueTraining, settleDatasetWaiters, type PlacementDeps } from './training-placement.ts';
import { addDatasetWaiter } from './waiters.ts';

/** The dataset job that made `record`'s queue entry, from its deterministic queue id. */
function datasetJobOf(record: JobRecord): RecordJobName {
  const name = (Object.keys(JOBS) as JobName[]).find((n): n is RecordJobName => JOBS[n].record === 'dataset' && record.queueJob?.id === queueJobIdOf(n, record.id));
  if (!name) throw Errors.JOB_NOT_RESUMABLE(`job ${record.id} does not say which build made it`);
  return name;
}

/**
 * Enqueues `record` again. A model whose dataset is still building waits for it (the caller
 * requeues that dataset too); one whose dataset failed or is gone cannot run. A finished queue
 * entry of the same id is removed first: BullMQ would otherwise ignore the new one.
 */
export async function requeueJob(deps: PlacementDeps, record: JobRecord): Promise<void> {
  if (record.queueJob) await deps.producer.removeFinished(record.queueJob);
  if (record.kind === 'model') {
    const dataset = record.datasetId ? await deps.store.get(record.datasetId) : null;
    if (dataset?.status === 'D') return enqueueTraining(deps, record);
    if (dataset && isRunningStatus(dataset.status)) {
      await addDatasetWaiter(deps.redis, deps.prefix, dataset.id, record.id);
      return settleDatasetWaiters(deps, dataset.id); // the build may have ended meanwhile
    }
    throw Errors.DATASET_NOT_READY(`its dataset ${record.datasetId ?? '(none)'} is not Done`);
  }
  if (record.kind === 'pretrained') {
    const options = (record.params as { options?: unknown } | null)?.options;
    return void (await deps.producer.enqueue('import-pretrained', payloadChecker('import-pretrained').parse({ v: 1, jobId: record.id, options }, 'import-pretrained payload')));
  }
  const name = datasetJobOf(record);
  // the stored params are checked as the payload they become (job.json is untrusted input)
  await deps.producer.enqueue(name, payloadChecker(name).parse({ v: 1, jobId: record.id, options: record.params }, `${name} payload`));
}
