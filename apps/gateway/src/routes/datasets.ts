/** Image-classification datasets: create (contract §6.1) and show (§5.3). */
import fs from 'node:fs/promises';
import path from 'node:path';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { DATASET_UPLOAD_FIELDS, Errors, JOB_TYPES, JOBS, parseDatasetForm, queueJobIdOf, parseGenericDatasetForm, parsePrebuiltDatasetForm, statusName, type JobRecord, type ParsedDatasetForm, type PayloadOf } from '@digits-ts/contracts';
import { FormError } from '../plugins/errors.ts';
import { readForm, type RequestForm } from '../plugins/form.ts';
import { requireUsername } from '../plugins/identity.ts';
import { wantsJson } from '../plugins/negotiation.ts';
import { checkServerPaths } from '../server-paths.ts';
import type { Services } from '../services.ts';
import { baseDict, datasetDetail } from '../job-json.ts';
import { classificationDatasetPage, extensionDatasetPage, prebuiltDatasetPage, sendDatasetPage } from './dataset-pages.ts';
import { reshowOnFormError } from '../pages/form-pages.ts';
import { loadJob } from './jobs.ts';

function newDatasetRecord(id: string, username: string, parsed: ParsedDatasetForm): JobRecord {
  const now = Date.now() / 1000;
  return {
    v: 1, rev: 0, id, kind: 'dataset', type: JOB_TYPES.imageClassificationDataset,
    name: parsed.name, group: parsed.group, username, notes: null, created: now,
    status: 'I', statusHistory: [['I', now]], progress: 0, error: null, form: parsed.saved,
    queueJob: { queue: JOBS['build-dataset'].queue, id: queueJobIdOf('build-dataset', id) },
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
function createDataset(services: Services, username: string, form: RequestForm, parsed: ParsedDatasetForm): Promise<JobRecord> {
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
function createOptionsDataset<N extends OptionsJob>(services: Services, username: string, parsed: { name: string; group: string; saved: Record<string, unknown>; options: PayloadOf<N>['options'] }, name: N, type: string, state: Partial<JobRecord>): Promise<JobRecord> {
  return withNewJob(services, async (id) => {
    const now = Date.now() / 1000;
    const def = JOBS[name];
    const record: JobRecord = {
      v: 1, rev: 0, id, kind: 'dataset', type,
      name: parsed.name, group: parsed.group, username, notes: null, created: now,
      status: 'I', statusHistory: [['I', now]], progress: 0, error: null, form: parsed.saved,
      queueJob: { queue: def.queue, id: queueJobIdOf(name, id) }, datasetId: null, dataset: null, ...state, params: parsed.options,
    };
    await services.store.create(record);
    await services.producer.enqueue(name, { v: 1, jobId: id, options: parsed.options } as PayloadOf<N>);
    return record;
  });
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
  const createClassification = reshowOnFormError(async () => classificationDatasetPage(), create);
  app.post('/datasets/images/classification', createClassification);
  app.post('/datasets/images/classification.json', createClassification);

  const createGeneric = async (request: FastifyRequest<{ Params: { extension: string } }>, reply: import('fastify').FastifyReply) => {
    const form = await readForm(request);
    const username = requireUsername(request, form);
    const extension = request.params.extension.replace(/\.json$/, '');
    const parsed = parseGenericDatasetForm(extension, form.fields);
    // DIGITS answers an unknown extension with a 500 ValueError; it is the client's mistake
    if (!parsed) throw Errors.NOT_FOUND(`unknown data extension "${extension}"`);
    if ('errors' in parsed) throw new FormError(parsed.errors);
    const record = await createOptionsDataset(services, username, parsed.form, 'build-generic-dataset', JOB_TYPES.genericDataset, { generic: null });
    request.log.info({ jobId: record.id, extension }, 'generic dataset created');
    if (wantsJson(request)) return baseDict(record);
    return reply.redirect(`/datasets/${record.id}`, 302);
  };
  app.post('/datasets/generic/create/:extension', reshowOnFormError(async (request) => extensionDatasetPage(request.params.extension.replace(/\.json$/, '')), createGeneric));

  const createPrebuilt = async (request: FastifyRequest, reply: import('fastify').FastifyReply) => {
    const form = await readForm(request);
    const username = requireUsername(request, form);
    const parsed = parsePrebuiltDatasetForm(form.fields);
    if ('errors' in parsed) throw new FormError(parsed.errors);
    await checkServerPaths(parsed.form.serverPaths, services.config.dataRoots);
    const record = await createOptionsDataset(services, username, parsed.form, 'analyze-prebuilt-dataset', JOB_TYPES.genericImageDataset, { analyzeDbTasks: [] });
    request.log.info({ jobId: record.id }, 'prebuilt dataset created');
    // generic image datasets expose only the base keys (§5.3)
    if (wantsJson(request)) return baseDict(record);
    return reply.redirect(`/datasets/${record.id}`, 302);
  };
  const createPrebuiltPage = reshowOnFormError(async () => prebuiltDatasetPage(), createPrebuilt);
  app.post('/datasets/images/generic', createPrebuiltPage);
  app.post('/datasets/images/generic.json', createPrebuiltPage);

  app.get('/datasets/:id', async (request: FastifyRequest<{ Params: { id: string } }>, reply) => {
    const record = await loadJob(services, request.params.id, 'dataset');
    if (wantsJson(request)) return datasetDetail(record, services.config.jobsDir);
    return sendDatasetPage(services, reply, record);
  });
}
