/**
 * Model page routes (contract §4.3): the "new" forms, `large_graph`, and `/clone/<id>` (the
 * pages themselves are built in pages/model-page.ts).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Errors, JOB_TYPES, type GenericDatasetOptions } from '@digits-ts/contracts';
import { DATA_EXTENSIONS, type ModelTask } from '../forms/index.ts';
import { loadJob } from '../jobs/load.ts';
import { cloneTexts } from '../jobs/clone.ts';
import { pageLogin, presets, sendFormPage } from '../pages/form-pages.ts';
import { modelFormPage, modelView } from '../pages/model-page.ts';
import { largeGraphTitle } from '../pages/titles.ts';
import { arg } from '../plugins/form.ts';
import { requireUsername } from '../plugins/identity.ts';
import type { Services } from '../services.ts';

export async function modelPageRoutes(app: FastifyInstance): Promise<void> {
  const services: Services = app.services;

  const newPage = (task: ModelTask) => async (request: FastifyRequest<{ Params: { extension?: string } }>, reply: FastifyReply) => {
    if (!pageLogin(request, reply)) return reply;
    const extension = request.params.extension ?? null;
    if (extension !== null && !Object.hasOwn(DATA_EXTENSIONS, extension)) throw Errors.NOT_FOUND(`Unknown extension "${extension}"`);
    const initial = { ...presets(request, ['dataset']), ...(await cloneTexts(services, request, null)) };
    return sendFormPage(reply, await modelFormPage(services, task, extension, initial));
  };
  const page = (summary: string) => ({ schema: { summary, tags: ['pages'] } });
  app.get('/models/images/classification/new', page('New image-classification model form (HTML; `?dataset=` preselects)'), newPage('classification'));
  app.get('/models/images/generic/new', page('New generic image model form (HTML)'), newPage('generic'));
  app.get('/models/images/generic/new/:extension', page('New generic model form for an extension\'s datasets (HTML)'), newPage('generic'));

  const largeGraph = async (request: FastifyRequest, reply: FastifyReply) => {
    const id = arg(request, null, 'job_id');
    if (!id) throw Errors.BAD_REQUEST('job_id is a required field');
    const record = await loadJob(services, id, 'model');
    return reply.page('large-graph', { title: largeGraphTitle(record.name), scripts: ['/static/vendor/uplot/uPlot.iife.min.js', '/static/js/model.js'], ...(await modelView(services, record)) });
  };
  app.get('/models/images/classification/large_graph', page('The training graph of model `job_id`, large (HTML)'), largeGraph);
  app.get('/models/images/generic/large_graph', page('The training graph of generic model `job_id`, large (HTML)'), largeGraph);

  // §1.5: the matching "new" page, filled from the job's saved form
  const clone = async (request: FastifyRequest<{ Params: { id: string } }>, reply: FastifyReply) => {
    if (request.method === 'POST') requireUsername(request, null);
    else if (!pageLogin(request, reply)) return reply;
    const record = await loadJob(services, request.params.id);
    const pages: Record<string, string> = {
      [JOB_TYPES.imageClassificationDataset]: '/datasets/images/classification/new',
      [JOB_TYPES.genericImageDataset]: '/datasets/images/generic/new',
      [JOB_TYPES.imageClassificationModel]: '/models/images/classification/new',
      [JOB_TYPES.genericImageModel]: '/models/images/generic/new',
    };
    const extension = (record.params as Partial<GenericDatasetOptions> | null)?.extension;
    const target = record.type === JOB_TYPES.genericDataset && extension ? `/datasets/generic/new/${extension}` : pages[record.type];
    if (!target) throw Errors.INVALID_JOB_TYPE('Invalid job type');
    return reply.redirect(`${target}?clone=${record.id}`, 302);
  };
  const cloneDoc = page('Redirects to the matching new form filled from job `id` (§1.5)');
  app.get('/clone/:id', cloneDoc, clone);
  app.post('/clone/:id', cloneDoc, clone);
}

