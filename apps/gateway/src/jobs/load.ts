/** Finding the job a request names: the record, or a 404 (a name without the job-id pattern is not looked up). */
import { Errors, isJobId, type JobRecord } from '@digits-ts/contracts';
import type { Services } from '../services.ts';


/** The job named by a route's `:id` (a `.json` suffix is the JSON flavour), or 404. */
export async function loadJob(services: Services, rawId: string, kind?: JobRecord['kind']): Promise<JobRecord> {
  const id = rawId.endsWith('.json') ? rawId.slice(0, -5) : rawId;
  const record = isJobId(id) ? await services.store.get(id) : null;
  if (!record || (kind && record.kind !== kind)) throw Errors.JOB_NOT_FOUND('Job not found');
  return record;
}
