/** `?clone=<id>` on a "new" page (§1.5): the form starts from a job's saved form. */
import type { FastifyRequest } from 'fastify';
import { Errors } from '@digits-ts/contracts';
import { loadJob } from '../jobs/load.ts';
import { arg } from '../plugins/form.ts';
import type { Services } from '../services.ts';
import { savedFormText } from './form-view.ts';

/** `?clone=<id>`: the saved form of a job of the same kind, as field texts (§1.5). */
export async function cloneValues(services: Services, request: FastifyRequest, type: string): Promise<Record<string, string>> {
  const id = arg(request, null, 'clone');
  if (!id) return {};
  const record = await loadJob(services, id);
  if (record.type !== type) throw Errors.INVALID_JOB_TYPE('Invalid job type');
  return savedFormText(record.form);
}
