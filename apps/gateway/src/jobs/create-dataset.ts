/**
 * Creating dataset jobs (contract §6, §7.2, §7.4): the job record from a parsed form, the
 * uploaded lists stored in its folder, and its build enqueued; a failure on the way leaves nothing.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { JOB_TYPES, newJobRecord, type JobRecord, type NewJobRecord, type PayloadOf } from '@digits-ts/contracts';
import { DATASET_UPLOAD_FIELDS, type ParsedDatasetForm } from '../forms/index.ts';
import type { RequestForm } from '../plugins/form.ts';
import type { Services } from '../services.ts';

function newDatasetRecord(id: string, username: string, parsed: ParsedDatasetForm): JobRecord {
  return newJobRecord({
    id, job: 'build-dataset', type: JOB_TYPES.imageClassificationDataset, name: parsed.name, group: parsed.group,
    username, form: parsed.saved, params: parsed.options, created: Date.now() / 1000,
  });
}

/** Stores the uploaded image lists in the job folder under DIGITS' names. */
async function storeUploads(dir: string, form: RequestForm, parsed: ParsedDatasetForm): Promise<void> {
  if (parsed.options.method !== 'textfile') return;
  for (const [field, name] of Object.entries(DATASET_UPLOAD_FIELDS)) {
    const upload = form.files.get(field);
    if (upload) await fs.writeFile(path.join(dir, name), upload.data);
  }
}

/** Runs `create` for a fresh job id; a failure on the way removes whatever it left behind. */
async function withNewJob(services: Services, create: (id: string) => Promise<JobRecord>): Promise<JobRecord> {
  const id = await services.store.reserveId();
  try {
    return await create(id);
  } catch (err) {
    await services.store.remove(id);
    throw err;
  }
}

/** Creates the job, then enqueues its build. */
export function createDataset(services: Services, username: string, form: RequestForm, parsed: ParsedDatasetForm): Promise<JobRecord> {
  return withNewJob(services, async (id) => {
    await storeUploads(services.store.jobDir(id), form, parsed);
    const record = newDatasetRecord(id, username, parsed);
    await services.store.create(record);
    await services.producer.enqueue('build-dataset', { v: 1, jobId: id, options: parsed.options });
    return record;
  });
}

/** A dataset job whose worker job takes the form's options as they are: generic (§7.2) and prebuilt (§7.4) datasets. */
type OptionsJob = 'build-generic-dataset' | 'analyze-prebuilt-dataset';

/** Creates the job record (with its kind's empty state) and enqueues its work. */
export function createOptionsDataset<N extends OptionsJob>(services: Services, username: string, parsed: { name: string; group: string; saved: Record<string, unknown>; options: PayloadOf<N>['options'] }, name: N, type: string, state: NewJobRecord['state']): Promise<JobRecord> {
  return withNewJob(services, async (id) => {
    const record = newJobRecord({ id, job: name, type, name: parsed.name, group: parsed.group, username, form: parsed.saved, params: parsed.options, created: Date.now() / 1000, state });
    await services.store.create(record);
    await services.producer.enqueue(name, { v: 1, jobId: id, options: parsed.options } as PayloadOf<N>);
    return record;
  });
}
