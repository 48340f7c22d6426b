/**
 * Start-up recovery: a gateway that finds Redis empty rebuilds the index from JOBS_DIR, and
 * any job that claims to be running but has no queue entry left is marked Aborted (as DIGITS
 * marks running jobs Aborted when it starts).
 */
import { isRunningStatus } from '@digits-ts/contracts';
import type { Logger } from '@digits-ts/logger';
import type { Services } from './services.ts';

export async function recoverJobs({ store, producer }: Services, log: Pick<Logger, 'info' | 'warn'>): Promise<void> {
  if ((await store.count()) > 0) return;
  const records = await store.rebuildFromDisk();
  if (records.length === 0) return;
  log.info({ jobs: records.length }, 'job index rebuilt from JOBS_DIR');
  for (const record of records) {
    if (!isRunningStatus(record.status)) continue;
    if (record.queueJob && (await producer.isQueued(record.queueJob))) continue;
    await store.setStatus(record.id, 'A', { code: 'JOB_INTERRUPTED', message: 'interrupted: its queue entry was lost while the job was running' });
    log.warn({ jobId: record.id }, 'interrupted job marked Aborted');
  }
}
