/** Image-classification datasets: create (contract §6.1) and show (§5.3). */
import fs from 'node:fs/promises';
import path from 'node:path';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { DATASET_UPLOAD_FIELDS, JOB_TYPES, JOBS, parseDatasetForm, statusName, type JobRecord, type ParsedDatasetForm } from '@digits-ts/contracts';
import { page, table } from '../html.ts';
import { FormError } from '../plugins/errors.ts';
import { readForm, type RequestForm } from '../plugins/form.ts';
import { requireUsername } from '../plugins/identity.ts';
import { wantsJson } from '../plugins/negotiation.ts';
import { checkServerPaths } from '../server-paths.ts';
import type { Services } from '../services.ts';
import { baseDict, datasetDetail } from '../views.ts';
import { loadJob } from './jobs.ts';

function newDatasetRecord(id: string, username: string, parsed: ParsedDatasetForm): JobRecord {
  const now = Date.now() / 1000;
  return {
    v: 1, rev: 0, id, kind: 'dataset', type: JOB_TYPES.imageClassificationDataset,
    name: parsed.name, group: parsed.group, username, notes: null, created: now,
    status: 'I', statusHistory: [['I', now]], progress: 0, error: null, form: parsed.saved,
    queueJob: { queue: JOBS['build-dataset'].queue, id: JOBS['build-dataset'].queueJobId(id) },
    datasetId: null, dataset: null, params: parsed.options,
  };
}

/** Stores the uploaded image lists in the job folder under DIGITS' names. */
async function storeUploads(dir: string, form: RequestForm, parsed: ParsedDatasetForm): Promise<void> {
  if (parsed.options.method !== 'textfile') return;
  for (const [field, name] of Object.entries(DATASET_UPLOAD_FIELDS)) {
    const upload = form.files.get(field);
    if (upload) await fs.writeFile(path.join(dir, name), upload.data);
  }
}

/** Creates the job, then enqueues its build; a failure on the way leaves nothing behind. */
async function createDataset(services: Services, username: string, form: RequestForm, parsed: ParsedDatasetForm): Promise<JobRecord> {
  const { store, producer } = services;
  const id = await store.reserveId();
  try {
    await storeUploads(store.jobDir(id), form, parsed);
    const record = newDatasetRecord(id, username, parsed);
    await store.create(record);
    await producer.enqueue('build-dataset', { v: 1, jobId: id, options: parsed.options });
    return record;
  } catch (err) {
    await store.remove(id);
    throw err;
  }
}

function datasetPage(record: JobRecord, jobsDir: string): string {
  const dict = datasetDetail(record, jobsDir);
  const rows: Array<[string, unknown]> = [['Status', statusName(record.status)], ['Progress', `${Math.round(record.progress * 100)}%`]];
  for (const task of dict.ParseFolderTasks) rows.push([task.name, `${task.label_count ?? '?'} labels, ${task.train_count ?? '?'} train, ${task.val_count ?? '?'} val, ${task.test_count ?? '?'} test`]);
  for (const task of dict.CreateDbTasks) rows.push([task.name, `${task.entries ?? '?'} entries, ${task.image_height}x${task.image_width}x${task.image_channels}, ${task.encoding}`]);
  if (record.error) rows.push(['Error', record.error.message]);
  return page(record.name, table(rows));
}

export async function datasetRoutes(app: FastifyInstance): Promise<void> {
  const services = app.services;

  const create = async (request: FastifyRequest, reply: import('fastify').FastifyReply) => {
    const form = await readForm(request);
    const username = requireUsername(request, form);
    const parsed = parseDatasetForm(form.fields, new Set(form.files.keys()));
    if ('errors' in parsed) throw new FormError(parsed.errors);
    await checkServerPaths(parsed.form.serverPaths, services.config.dataRoots);
    const record = await createDataset(services, username, form, parsed.form);
    request.log.info({ jobId: record.id, method: parsed.form.options.method }, 'dataset created');
    if (wantsJson(request)) return baseDict(record);
    return reply.redirect(`/datasets/${record.id}`, 302);
  };
  app.post('/datasets/images/classification', create);
  app.post('/datasets/images/classification.json', create);

  app.get('/datasets/:id', async (request: FastifyRequest<{ Params: { id: string } }>, reply) => {
    const record = await loadJob(services, request.params.id, 'dataset');
    if (wantsJson(request)) return datasetDetail(record, services.config.jobsDir);
    return reply.type('text/html').send(datasetPage(record, services.config.jobsDir));
  });
}
