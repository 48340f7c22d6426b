/** Finding the job a request names: DIGITS' job-id pattern, and the record or a 404. */
import { Errors, type JobRecord } from '@digits-ts/contracts';
import type { Services } from '../services.ts';

const ID = /^\d{8}-\d{6}-[0-9a-f]{4}$/;

/** True when `id` has the shape of a job id (anything else names no job, and is not looked up). */
export function isJobId(id: string): boolean {
  return ID.test(id);
}

/** The job named by a route's `:id` (a `.json` suffix is the JSON flavour), or 404. */
export async function loadJob(services: Services, rawId: string, kind?: JobRecord['kind']): Promise<JobRecord> {
  const id = rawId.endsWith('.json') ? rawId.slice(0, -5) : rawId;
  const record = isJobId(id) ? await services.store.get(id) : null;
  if (!record || (kind && record.kind !== kind)) throw Errors.JOB_NOT_FOUND('Job not found');
  return record;
}
