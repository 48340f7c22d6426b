/** Image-classification datasets: create (contract §6.1) and show (§5.3). */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Errors, JOB_TYPES, parseDatasetForm, parseGenericDatasetForm, parsePrebuiltDatasetForm } from '@digits-ts/contracts';
import { createDataset, createOptionsDataset } from '../jobs/create-dataset.ts';
import { loadJob } from '../jobs/load.ts';
import { FormError } from '../plugins/errors.ts';
import { readForm } from '../plugins/form.ts';
import { requireUsername } from '../plugins/identity.ts';
import { wantsJson } from '../plugins/negotiation.ts';
import { checkServerPaths } from '../server-paths.ts';
import { baseDict, datasetDetail } from '../job-json.ts';
import { classificationDatasetPage, extensionDatasetPage, prebuiltDatasetPage, sendDatasetPage } from '../pages/dataset-page.ts';
import { reshowOnFormError } from '../pages/form-pages.ts';

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
