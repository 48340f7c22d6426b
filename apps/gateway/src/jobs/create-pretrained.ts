/**
 * Creating pretrained-model jobs (contract §4.4): the uploaded files stored in the job folder
 * under fixed names (PRETRAINED_FILES; an upload's own name never reaches the disk), the record
 * made, and the worker's import enqueued. A failure on the way leaves nothing.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { JOB_TYPES, newJobRecord, type JobRecord, type PretrainedOptions, type PretrainedParams } from '@digits-ts/contracts';
import type { Services } from '../services.ts';

export interface NewPretrained {
  name: string;
  options: PretrainedOptions;
  /** Job-folder file name → bytes. */
  files: Record<string, Buffer>;
  saved: Record<string, unknown>;
}

export async function createPretrained(services: Services, username: string, spec: NewPretrained): Promise<JobRecord> {
  const id = await services.store.reserveId();
  try {
    const dir = services.store.jobDir(id);
    await fs.mkdir(dir, { recursive: true });
    for (const [name, data] of Object.entries(spec.files)) await fs.writeFile(path.join(dir, path.basename(name)), data);
    const params: PretrainedParams = { options: spec.options, network: null };
    const record = newJobRecord({ id, job: 'import-pretrained', type: JOB_TYPES.pretrainedModel, name: spec.name, group: '', username, form: spec.saved, params, created: Date.now() / 1000 });
    await services.store.create(record);
    await services.producer.enqueue('import-pretrained', { v: 1, jobId: id, options: spec.options });
    return record;
  } catch (err) {
    await services.store.remove(id);
    throw err;
  }
}
