/** Image-classification datasets: create (contract §6.1) and show (§5.3). */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Errors, JOB_TYPES } from '@digits-ts/contracts';
import { DATA_EXTENSIONS, DATASET_FORM, GENERIC_DATASET_FORM, parseDatasetForm, parseGenericDatasetForm, parsePrebuiltDatasetForm, PREBUILT_DATASET_FORM, type FormSpec } from '../forms/index.ts';
import { CLONE_FIELD, parseCreateForm } from '../jobs/clone.ts';
import { createDataset, createOptionsDataset } from '../jobs/create-dataset.ts';
import { loadJob } from '../jobs/load.ts';
import { formBody } from '../openapi.ts';
import { FormError } from '../plugins/errors.ts';
import { readForm } from '../plugins/form.ts';
import { requireUsername } from '../plugins/identity.ts';
import { wantsJson } from '../plugins/negotiation.ts';
import { checkServerPaths } from '../server-paths.ts';
import { baseDict, BaseDictSchema as BaseDict, datasetDetail, DatasetDetailSchema } from '../job-json.ts';
import { classificationDatasetPage, extensionDatasetPage, prebuiltDatasetPage, sendDatasetPage } from '../pages/dataset-page.ts';
import { reshowOnFormError } from '../pages/form-pages.ts';

/** Every data extension's own fields, for the generic create form's docs. */
const EXTENSION_FORMS = Object.values(DATA_EXTENSIONS).reduce<FormSpec>((all, e) => ({ ...all, ...e.form }), {});

export async function datasetRoutes(app: FastifyInstance): Promise<void> {
  const services = app.services;

  const create = async (request: FastifyRequest, reply: import('fastify').FastifyReply) => {
    const form = await readForm(request);
    const username = requireUsername(request, form);
    // uploads are never saved: a clone of an upload-fed dataset needs them sent again (§1.5)
    const parsed = await parseCreateForm(services, request, form, DATASET_FORM, (fields) => parseDatasetForm(fields, new Set(form.files.keys())));
    await checkServerPaths(parsed.serverPaths, services.config.dataRoots);
    const record = await createDataset(services, username, form, parsed);
    request.log.info({ jobId: record.id, method: parsed.options.method }, 'dataset created');
    if (wantsJson(request)) return baseDict(record);
    return reply.redirect(`/datasets/${record.id}`, 302);
  };
  const createClassification = reshowOnFormError(async () => classificationDatasetPage(), create);
  const classification = { summary: 'Create an image-classification dataset (§6)', tags: ['datasets'], form: formBody({ ...DATASET_FORM, ...CLONE_FIELD }, ['textfile_train_images', 'textfile_val_images', 'textfile_test_images', 'textfile_labels_file']), response: { 200: BaseDict } };
  app.post('/datasets/images/classification', { schema: classification }, createClassification);
  app.post('/datasets/images/classification.json', { schema: classification }, createClassification);

  const createGeneric = async (request: FastifyRequest<{ Params: { extension: string } }>, reply: import('fastify').FastifyReply) => {
    const form = await readForm(request);
    const username = requireUsername(request, form);
    const extension = request.params.extension.replace(/\.json$/, '');
    // a `clone` arg is ignored here, as in DIGITS: extension datasets clone through their "new" page (§1.5)
    const parsed = parseGenericDatasetForm(extension, form.fields);
    // DIGITS answers an unknown extension with a 500 ValueError; it is the client's mistake
    if (!parsed) throw Errors.NOT_FOUND(`unknown data extension "${extension}"`);
    if ('errors' in parsed) throw new FormError(parsed.errors);
    await checkServerPaths(parsed.form.serverPaths, services.config.dataRoots);
    const record = await createOptionsDataset(services, username, parsed.form, 'build-generic-dataset', JOB_TYPES.genericDataset, { generic: null });
    request.log.info({ jobId: record.id, extension }, 'generic dataset created');
    if (wantsJson(request)) return baseDict(record);
    return reply.redirect(`/datasets/${record.id}`, 302);
  };
  const generic = { summary: 'Create a data-extension dataset: image-gradients (§7.3), image-processing (§7.5) or image-segmentation (§7.6)', tags: ['datasets'], form: formBody({ ...GENERIC_DATASET_FORM, ...EXTENSION_FORMS }), response: { 200: BaseDict } };
  app.post('/datasets/generic/create/:extension', { schema: generic }, reshowOnFormError(async (request) => extensionDatasetPage(request.params.extension.replace(/\.json$/, '')), createGeneric));

  const createPrebuilt = async (request: FastifyRequest, reply: import('fastify').FastifyReply) => {
    const form = await readForm(request);
    const username = requireUsername(request, form);
    const parsed = await parseCreateForm(services, request, form, PREBUILT_DATASET_FORM, parsePrebuiltDatasetForm);
    await checkServerPaths(parsed.serverPaths, services.config.dataRoots);
    const record = await createOptionsDataset(services, username, parsed, 'analyze-prebuilt-dataset', JOB_TYPES.genericImageDataset, { analyzeDbTasks: [] });
    request.log.info({ jobId: record.id }, 'prebuilt dataset created');
    // generic image datasets expose only the base keys (§5.3)
    if (wantsJson(request)) return baseDict(record);
    return reply.redirect(`/datasets/${record.id}`, 302);
  };
  const createPrebuiltPage = reshowOnFormError(async () => prebuiltDatasetPage(), createPrebuilt);
  const prebuilt = { summary: 'Create a prebuilt-LMDB dataset (§7.4)', tags: ['datasets'], form: formBody({ ...PREBUILT_DATASET_FORM, ...CLONE_FIELD }), response: { 200: BaseDict } };
  app.post('/datasets/images/generic', { schema: prebuilt }, createPrebuiltPage);
  app.post('/datasets/images/generic.json', { schema: prebuilt }, createPrebuiltPage);

  app.get('/datasets/:id', { schema: { summary: 'Dataset page, or its detailed JSON with `.json` (§5.3)', tags: ['datasets'], response: { 200: DatasetDetailSchema } } }, async (request: FastifyRequest<{ Params: { id: string } }>, reply) => {
    const record = await loadJob(services, request.params.id, 'dataset');
    if (wantsJson(request)) return datasetDetail(record, services.config.jobsDir);
    return sendDatasetPage(services, reply, record);
  });
}
