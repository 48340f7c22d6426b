/** Job routes shared by every job kind (contract §4.1, §11). */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { Errors, isJobId, statusName, type JobRecord } from '@digits-ts/contracts';
import { formBody } from '../openapi.ts';
import { abortJob, deleteJob, resumeModel } from '../jobs/actions.ts';
import { loadJob } from '../jobs/load.ts';
import { jobRow } from '../pages/job-rows.ts';
import { PAGE_TITLES } from '../pages/titles.ts';
import { readForm } from '../plugins/form.ts';
import { requireOwner, requireUsername } from '../plugins/identity.ts';
import { wantsJson } from '../plugins/negotiation.ts';
import type { Services } from '../services.ts';
import { baseDict, DIGITS_VERSION, IndexSchema, indexOrder, modelDict } from '../job-json.ts';

const KIND_PREFIX = { dataset: '/datasets', model: '/models', pretrained: '/pretrained_models' } as const;

/** A job's status, or `{error}` for an unknown one (§4.1). */
const StatusSchema = Type.Object({ error: Type.Union([Type.String(), Type.Null()]), status: Type.Optional(Type.String()), name: Type.Optional(Type.String()), type: Type.Optional(Type.String()) });

type IdRequest = FastifyRequest<{ Params: { id: string } }>;

export async function jobRoutes(app: FastifyInstance): Promise<void> {
  const services = app.services;

  // DIGITS' index JSON, encoded once per read of the store: list() hands back the same array
  // until a job changes, so many clients polling /index.json cost one build, not one each
  const indexBodies = new WeakMap<readonly JobRecord[], Buffer>();
  const index = async (request: FastifyRequest, reply: FastifyReply) => {
    const listed = await services.store.list();
    const json = wantsJson(request);
    const cached = json ? indexBodies.get(listed) : undefined;
    if (cached !== undefined) return reply.type('application/json; charset=utf-8').send(cached);
    const records = indexOrder([...listed]);
    const byId = new Map(records.map((r) => [r.id, r]));
    if (!json) {
      const rows = (kind: JobRecord['kind']) => records.filter((r) => r.kind === kind).map((r) => jobRow(r, byId.get(r.datasetId ?? '') ?? null));
      return reply.page('home', { title: PAGE_TITLES.home, datasets: rows('dataset'), models: rows('model'), pretrained: rows('pretrained') });
    }
    const body = Buffer.from(JSON.stringify({
      version: DIGITS_VERSION,
      jobs_dir: services.config.jobsDir,
      ...(services.config.serverName ? { server_name: services.config.serverName } : {}),
      datasets: records.filter((r) => r.kind === 'dataset').map((r) => baseDict(r)),
      models: records.filter((r) => r.kind === 'model').map((r) => modelDict(r, byId.get(r.datasetId ?? '') ?? null)),
    }));
    indexBodies.set(listed, body);
    return reply.type('application/json; charset=utf-8').send(body);
  };
  app.get('/', { schema: { summary: 'Home page (HTML)', tags: ['pages'] } }, index);
  // (the body is encoded once above and sent as bytes: the schema documents it)
  app.get('/index.json', { schema: { summary: 'Every dataset and model (§5.1)', tags: ['jobs'], response: { 200: IndexSchema } } }, index);

  app.get('/jobs/:id', { schema: { summary: 'Redirects to the job\'s page', tags: ['jobs'] } }, async (request: IdRequest, reply) => {
    const record = await loadJob(services, request.params.id);
    return reply.redirect(`${KIND_PREFIX[record.kind]}/${record.id}`, 302);
  });

  // always 200 with JSON text, even for an unknown job (contract §4.1)
  const status = async (request: IdRequest) => {
    const record = isJobId(request.params.id) ? await services.store.get(request.params.id) : null;
    if (!record) return { error: 'Job not found.' };
    return { error: null, status: statusName(record.status), name: record.name, type: record.type };
  };
  for (const [prefix, tag, what] of [['/jobs', 'jobs', 'any job'], ['/datasets', 'datasets', 'a dataset'], ['/models', 'models', 'a model']] as const) {
    app.get(`${prefix}/:id/status`, { schema: { summary: `Status of ${what} (text-json)`, tags: [tag], response: { 200: StatusSchema } } }, status);
  }

  const edit = { summary: 'Rename a job or set its notes (job_name, job_notes)', tags: ['jobs'], form: formBody({ job_name: { kind: 'string' }, job_notes: { kind: 'string' } }) };
  app.put('/jobs/:id', { schema: edit }, async (request: IdRequest, reply) => {
    const form = await readForm(request);
    const username = requireUsername(request, form);
    const record = await loadJob(services, request.params.id);
    requireOwner(record, username, 'edit');
    const name = form.fields.job_name;
    const notes = form.fields.job_notes;
    if (name !== undefined && name.trim() === '') throw Errors.BAD_REQUEST('name cannot be blank');
    await services.store.update(record.id, (r) => ({
      ...r,
      ...(name !== undefined ? { name: name.trim(), form: { ...r.form, [r.kind === 'dataset' ? 'form.dataset_name.data' : r.kind === 'pretrained' ? 'form.job_name.data' : 'form.model_name.data']: name.trim() } } : {}),
      ...(notes !== undefined ? { notes: notes.trim() === '' ? null : notes.trim() } : {}),
    }));
    return reply.type('text/plain').send(`${record.type} updated.`);
  });

  /** A login-required, owner-only action on one job, answered with DIGITS' plain text. */
  const ownerAction = (action: 'delete' | 'abort' | 'resume', run: (s: Services, r: JobRecord) => Promise<unknown>, text: string) =>
    (kind?: JobRecord['kind']) => async (request: IdRequest, reply: FastifyReply) => {
      const form = await readForm(request);
      const username = requireUsername(request, form);
      const record = await loadJob(services, request.params.id, kind);
      // DIGITS checks no ownership on single-job abort (contract §14); we do, like its bulk abort
      requireOwner(record, username, action);
      await run(services, record);
      return reply.type('text/plain').send(text);
    };
  const remove = ownerAction('delete', deleteJob, 'Job deleted.');
  const abort = ownerAction('abort', abortJob, 'Job aborted.');
  for (const [prefix, kind, tag, what] of [['/jobs', undefined, 'jobs', 'job'], ['/datasets', 'dataset', 'datasets', 'dataset build'], ['/models', 'model', 'models', 'training']] as const) {
    app.delete(`${prefix}/:id`, { schema: { summary: `Delete a ${kind ?? 'job'} (a running one is aborted first)`, tags: [tag] } }, remove(kind));
    app.post(`${prefix}/:id/abort`, { schema: { summary: `Abort a running ${what}`, tags: [tag] } }, abort(kind));
  }
  const resume = { summary: 'Resume an Aborted or Error training from its newest checkpoint (weights, optimizer, iteration)', tags: ['models'] };
  app.post('/models/:id/resume', { schema: resume }, ownerAction('resume', resumeModel, 'Job resumed.')('model'));
}
