/**
 * Start-up recovery: a gateway that finds Redis empty rebuilds the index from JOBS_DIR, and puts
 * the work of every job that claims to be running, but has no queue entry left, back in its
 * queue (a training resumes from its checkpoint). A job that cannot go back is marked Aborted
 * with the reason, as DIGITS marks running jobs Aborted when it starts.
 */
import { isAppError, isRunningStatus, type JobRecord } from '@digits-ts/contracts';
import type { Logger } from '@digits-ts/logger';
import { requeueJob } from '@digits-ts/queue';
import { placement } from './jobs/create-models.ts';
import type { Services } from './services.ts';

export async function recoverJobs(services: Services, log: Pick<Logger, 'info' | 'warn'>): Promise<void> {
  const { store, producer } = services;
  if ((await store.count()) > 0) return;
  const records = await store.rebuildFromDisk();
  if (records.length === 0) return;
  log.info({ jobs: records.length }, 'job index rebuilt from JOBS_DIR');
  const lost: JobRecord[] = [];
  for (const record of records) {
    if (!isRunningStatus(record.status)) continue;
    if (record.queueJob && (await producer.isQueued(record.queueJob))) continue;
    lost.push(record);
  }
  // models first: one whose dataset is requeued below waits for it rather than missing its end
  lost.sort((a, b) => (a.kind === b.kind ? 0 : a.kind === 'model' ? -1 : 1));
  for (const record of lost) {
    try {
      await requeueJob(placement(services), record);
      log.info({ jobId: record.id }, 'interrupted job back in its queue');
    } catch (err) {
      const why = isAppError(err) ? err.message : 'it could not be queued again';
      await store.setStatus(record.id, 'A', { code: 'JOB_INTERRUPTED', message: `interrupted: its queue entry was lost while the job was running, and ${why}` });
      log.warn({ jobId: record.id, err }, 'interrupted job marked Aborted');
    }
  }
}
