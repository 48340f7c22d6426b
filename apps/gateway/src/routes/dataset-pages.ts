/**
 * Dataset page routes (contract §4.2): the "new" forms, the summary snippet, the resize preview
 * (§11.7) and the DB explorer (the pages themselves are built in pages/dataset-page.ts). Pictures
 * come from a worker (`resize-example`, `explore-dataset`): the gateway decodes no image.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { DATASET_STAGES as STAGES, ENCODINGS, Errors, EXPLORE_MAX_PAGE_SIZE, payloadChecker, RESIZE_EXAMPLE_MAX_SIZE, RESIZE_MODES, statusName } from '@digits-ts/contracts';
import { RequestClient } from '@digits-ts/queue';
import { loadJob } from '../jobs/load.ts';
import { formBody } from '../openapi.ts';
import { cloneTexts } from '../jobs/clone.ts';
import { classificationDatasetPage, datasetView, extensionDatasetPage, prebuiltDatasetPage } from '../pages/dataset-page.ts';
import { pageLogin, sendFormPage } from '../pages/form-pages.ts';
import { templateHelpers } from '../pages/helpers.ts';
import { exploreTitle } from '../pages/titles.ts';
import { arg, readForm } from '../plugins/form.ts';
import type { Services } from '../services.ts';
import { escapeHtml } from '../html.ts';

/** The explorer's items-per-page choices: DIGITS' explore.html offers these four. */
const EXPLORE_PAGE_SIZES = [10, 25, 50, 100] as const;

/** An explorer argument that must be a whole number in range. */
function intArg(request: FastifyRequest, name: string, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const raw = arg(request, null, name)?.trim() ?? '';
  if (raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) throw Errors.VALIDATION_FAILED(`${name} must be an integer from ${min} to ${max}`);
  return value;
}

export async function datasetPageRoutes(app: FastifyInstance): Promise<void> {
  const services: Services = app.services;

  const page = (summary: string) => ({ schema: { summary, tags: ['pages'] } });
  app.get('/datasets/images/classification/new', page('New image-classification dataset form (HTML; login redirects)'), async (request, reply) => {
    if (!pageLogin(request, reply)) return reply;
    return sendFormPage(reply, classificationDatasetPage((await cloneTexts(services, request, null)) ?? {}));
  });
  app.get('/datasets/images/generic/new', page('New prebuilt-LMDB dataset form (HTML)'), async (request, reply) => {
    if (!pageLogin(request, reply)) return reply;
    return sendFormPage(reply, prebuiltDatasetPage((await cloneTexts(services, request, null)) ?? {}));
  });
  app.get('/datasets/generic/new/:extension', page('New data-extension dataset form (HTML)'), async (request: FastifyRequest<{ Params: { extension: string } }>, reply) => {
    if (!pageLogin(request, reply)) return reply;
    return sendFormPage(reply, extensionDatasetPage(request.params.extension, (await cloneTexts(services, request, null)) ?? {}));
  });

  // an HTML snippet the new-model page shows for the chosen dataset
  app.get('/datasets/summary', page('HTML snippet summarising dataset `job_id`'), async (request, reply) => {
    const id = arg(request, null, 'job_id');
    if (!id) throw Errors.BAD_REQUEST('job_id is a required field');
    const record = await loadJob(services, id, 'dataset');
    const html = await app.view('partials/dataset-summary', { ...(await datasetView(services, record)), h: templateHelpers });
    return reply.type('text/html; charset=utf-8').send(html);
  });

  // §11.7: any error is answered as "<Type>: <message>" with a 200, as DIGITS does
  const resizeForm = formBody({ width: { kind: 'int', default: 256 }, height: { kind: 'int', default: 256 }, channels: { kind: 'select', choices: ['1', '3'], default: '3' }, resize_mode: { kind: 'select', choices: RESIZE_MODES, default: 'squash' }, encoding: { kind: 'select', choices: ENCODINGS, default: 'png' }, backend: { kind: 'select', choices: ['lmdb'], default: 'lmdb' } });
  app.post('/datasets/images/resize-example', { schema: { summary: 'HTML fragment: a sample image resized as the dataset fields say (§11.7)', tags: ['pages'], form: resizeForm } }, async (request, reply) => {
    const form = await readForm(request);
    const field = (name: string, fallback: string) => (form.fields[name] ?? '').trim() || fallback;
    reply.type('text/html; charset=utf-8');
    try {
      const width = Number(field('width', '256'));
      const height = Number(field('height', '256'));
      const channels = Number(field('channels', '3'));
      const payload = { v: 1 as const, jobId: RequestClient.requestId(), width, height, channels, resizeMode: field('resize_mode', 'squash'), encoding: field('backend', 'lmdb') === 'lmdb' ? field('encoding', 'png') : 'none' };
      // the payload's schema bounds the sizes and lists the channels, modes and encodings
      if (!payloadChecker('resize-example').check(payload)) throw Errors.VALIDATION_FAILED(`width and height must be integers from 1 to ${RESIZE_EXAMPLE_MAX_SIZE}, channels 1 or 3, resize_mode ${RESIZE_MODES.join('|')}, encoding ${ENCODINGS.join('|')}`);
      const result = await services.inference.request('resize-example', payload, services.config.inferTimeoutMs);
      return reply.send(`<img src="data:${result.mime};base64,${result.data}" alt="The sample image resized to ${width}×${height} with ${payload.resizeMode}" class="pixelated" width="${Math.min(Math.max(width, 128), 512)}" style="max-width:100%"><br>Image size: ${templateHelpers.bytes(result.bytes)}`);
    } catch (err) {
      const name = (err as { code?: string }).code ?? 'Error';
      return reply.send(escapeHtml(`${name}: ${(err as Error).message}`));
    }
  });

  const explore = (generic: boolean) => async (request: FastifyRequest, reply: FastifyReply) => {
    const id = arg(request, null, 'job_id');
    if (!id) throw Errors.BAD_REQUEST('job_id is a required field');
    const record = await loadJob(services, id, 'dataset');
    // DIGITS fails with a 500 until the DB task is Done; its DBs are published only when the build ends
    if (record.status !== 'D') throw Errors.DATASET_NOT_READY(`dataset ${record.id} is ${statusName(record.status)}: its DBs can be explored once it is Done`);
    const db = arg(request, null, 'db') ?? 'train';
    const page = intArg(request, 'page', 0, 0);
    const size = intArg(request, 'size', 25, 1, EXPLORE_MAX_PAGE_SIZE);
    const labelText = arg(request, null, 'label')?.trim() ?? '';
    const label = labelText === '' ? null : intArg(request, 'label', 0, 0);
    const result = await services.inference.request('explore-dataset', { v: 1, jobId: RequestClient.requestId(), datasetId: record.id, db, page, size, label }, services.config.inferTimeoutMs);
    const base = generic ? '/datasets/generic/explore' : '/datasets/images/classification/explore';
    const link = (changes: Record<string, string | number | null>) => {
      const params = new URLSearchParams({ job_id: record.id, db, page: String(page), size: String(size), ...(label === null ? {} : { label: String(label) }) });
      for (const [k, v] of Object.entries(changes)) if (v === null) params.delete(k); else params.set(k, String(v));
      return `${base}?${params}`;
    };
    const pages = Math.max(1, Math.ceil(result.total / size));
    return reply.page('explore', { title: exploreTitle(record.name), record, db, page, size, sizes: EXPLORE_PAGE_SIZES, label, pages, result, link, stages: generic ? [] : STAGES });
  };
  app.get('/datasets/images/classification/explore', page('Gallery of a classification dataset DB: job_id, db=train|val|test, page, size, label (HTML)'), explore(false));
  app.get('/datasets/generic/explore', page('Gallery of a generic dataset DB: job_id, db (its folder), page, size (HTML)'), explore(true));
}
