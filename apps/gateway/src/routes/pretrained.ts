/**
 * Pretrained models (contract §4.4): `POST /pretrained_models/new[.json]` (Caffe deploy.prototxt
 * + .caffemodel + labels), `POST /pretrained_models/upload_archive` (our download archives and
 * Caffe ones), and `GET /pretrained_models/<id>[.json]`. The gateway stores the files; a worker
 * converts them (`import-pretrained`), and a bad weights file ends that job in Error.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Errors, isAppError, PRETRAINED_FILES } from '@digits-ts/contracts';
import { readArchive } from '../archive-reader.ts';
import { parsePretrainedForm, planArchive, PRETRAINED_FORM, PRETRAINED_UPLOADS } from '../forms/index.ts';
import { createPretrained } from '../jobs/create-pretrained.ts';
import { loadJob } from '../jobs/load.ts';
import { pretrainedDict } from '../job-json.ts';
import { formBody } from '../openapi.ts';
import { FormError, sendError } from '../plugins/errors.ts';
import { readForm } from '../plugins/form.ts';
import { requireUsername } from '../plugins/identity.ts';
import { wantsJson } from '../plugins/negotiation.ts';
import { PRETRAINED_LAYOUT } from '../pages/form-layouts.ts';
import { pageLogin, reshowOnFormError, sendFormPage, type FormPage } from '../pages/form-pages.ts';
import { PAGE_TITLES } from '../pages/titles.ts';

/** The pretrained tab of the home page (§4.4). */
const PRETRAINED_TAB = '/?tab=3';

const newPretrainedPage = async (): Promise<FormPage> => ({
  title: PAGE_TITLES.newPretrainedModel, action: '/pretrained_models/new', layout: PRETRAINED_LAYOUT,
  intro: 'Imports a Caffe model (deploy.prototxt and .caffemodel) for classification and as the start of new trainings. A model archive downloaded from a model page is imported with POST /pretrained_models/upload_archive (file field "archive").',
});

export async function pretrainedRoutes(app: FastifyInstance): Promise<void> {
  const services = app.services;

  const create = async (request: FastifyRequest, reply: FastifyReply) => {
    const form = await readForm(request);
    const username = requireUsername(request, form);
    const uploads = new Map([...form.files].map(([field, upload]) => [field, upload.data]));
    const parsed = parsePretrainedForm(form.fields, uploads);
    if ('errors' in parsed) throw new FormError(parsed.errors);
    const files: Record<string, Buffer> = { [PRETRAINED_FILES.caffemodel]: uploads.get('weights_file')!, [PRETRAINED_FILES.prototxt]: uploads.get('model_def_file')! };
    if (uploads.has('labels_file')) files[PRETRAINED_FILES.labels] = uploads.get('labels_file')!;
    const record = await createPretrained(services, username, { ...parsed.form, files });
    request.log.info({ jobId: record.id }, 'pretrained model created');
    if (wantsJson(request)) return pretrainedDict(record, services.config.jobsDir);
    return reply.redirect(PRETRAINED_TAB, 302);
  };
  const newSchema = { summary: 'Import a Caffe model: deploy.prototxt + .caffemodel (+ labels) (§4.4)', tags: ['models'], form: formBody(PRETRAINED_FORM, [...PRETRAINED_UPLOADS]) };
  app.post('/pretrained_models/new', { schema: newSchema }, reshowOnFormError(newPretrainedPage, create));
  app.post('/pretrained_models/new.json', { schema: newSchema }, create);
  app.get('/pretrained_models/new', { schema: { summary: 'New pretrained model form (HTML)', tags: ['pages'] } }, async (request, reply) => {
    if (!pageLogin(request, reply)) return reply;
    return sendFormPage(reply, await newPretrainedPage());
  });

  const upload = async (request: FastifyRequest, reply: FastifyReply) => {
    try {
      return await uploadArchive(request);
    } catch (err) {
      // DIGITS' route answers JSON only (its failures a 500 {"status": …}): ours in the JSON envelope
      if (!isAppError(err)) throw err;
      request.log.info({ code: err.code, msg: err.message }, 'archive refused');
      return sendError(request, reply, err, true);
    }
  };
  const uploadArchive = async (request: FastifyRequest) => {
    const form = await readForm(request);
    const username = requireUsername(request, form);
    const archive = form.files.get('archive');
    if (!archive) throw Errors.BAD_REQUEST('archive is a required field (a tar, tar.gz, tar.bz2 or zip file)');
    const members = await readArchive(archive.data, services.config.uploads.maxBytes);
    const plan = planArchive(members.get('info.json'), new Set(members.keys()), PRETRAINED_FILES);
    const files = Object.fromEntries(Object.entries(plan.files).map(([file, member]) => [file, members.get(member)!]));
    const record = await createPretrained(services, username, { name: plan.name, options: plan.options, files, saved: {} });
    request.log.info({ jobId: record.id, source: plan.options.source }, 'pretrained model uploaded');
    // DIGITS answers {"status": "success"}; the job id is ours, for API clients to follow the import
    return { status: 'success', job_id: record.id };
  };
  app.post('/pretrained_models/upload_archive', { schema: { summary: 'Import a model archive (tar, tar.gz, tar.bz2, zip with info.json, §11.4)', tags: ['models'], form: formBody({}, ['archive']) } }, upload);

  app.get('/pretrained_models/:id', { schema: { summary: 'A pretrained model as JSON', tags: ['models'] } }, async (request: FastifyRequest<{ Params: { id: string } }>) => {
    return pretrainedDict(await loadJob(services, request.params.id, 'pretrained'), services.config.jobsDir);
  });
}
