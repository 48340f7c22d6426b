/** Image-classification models: create (contract §8), show (§5.4), visualize-lr (§8.6). */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { Errors, LR_POLICIES, learningRateCurve, type JobRecord, type LrPolicy } from '@digits-ts/contracts';
import { DATA_EXTENSIONS, MODEL_FORM, type ModelTask, parseForm, parseModelForm, REQUIRED, type FormSpec } from '../forms/index.ts';
import { CLONE_FIELD, parseCreateForm } from '../jobs/clone.ts';
import { createModels } from '../jobs/create-models.ts';
import { loadJob } from '../jobs/load.ts';
import { formBody } from '../openapi.ts';
import { modelFormPage, sendModelPage } from '../pages/model-page.ts';
import { FormError } from '../plugins/errors.ts';
import { readForm } from '../plugins/form.ts';
import { requireUsername } from '../plugins/identity.ts';
import { wantsJson } from '../plugins/negotiation.ts';
import type { Services } from '../services.ts';
import { modelDetail, modelDict, ModelDictSchema, modelTraining, ModelTrainingSchema } from '../job-json.ts';
import { reshowOnFormError } from '../pages/form-pages.ts';

/** visualize-lr's fields: each policy's parameters are required when that policy is chosen. */
const LR_FIELDS: Record<LrPolicy['policy'], string[]> = {
  fixed: [],
  step: ['lr_step_size', 'lr_step_gamma'],
  multistep: ['lr_multistep_values', 'lr_multistep_gamma'],
  exp: ['lr_exp_gamma'],
  inv: ['lr_inv_gamma', 'lr_inv_power'],
  poly: ['lr_poly_power'],
  sigmoid: ['lr_sigmoid_step', 'lr_sigmoid_gamma'],
};

function numbersOf(text: string, field: string): number[] {
  const parts = text.replace(/[[\]]/g, '').split(',').map((s) => s.trim()).filter((s) => s !== '');
  const values = parts.map(Number);
  if (parts.length === 0 || values.some((v) => !Number.isFinite(v))) throw new FormError({ [field]: ['invalid value'] });
  return values;
}

/** `POST /models/visualize-lr`: 101 points per learning rate of the chosen policy. */
function visualizeLr(fields: Record<string, string>): { data: { columns: (string | number)[][] } } {
  const policy = fields.lr_policy as LrPolicy['policy'];
  if (!(LR_POLICIES as readonly string[]).includes(policy)) throw Errors.BAD_REQUEST('Invalid policy');
  const params = LR_FIELDS[policy].filter((f) => f !== 'lr_multistep_values');
  const spec: FormSpec = Object.fromEntries(params.map((f) => [f, { kind: 'float' }]));
  const { values, errors } = parseForm(spec, fields);
  // DIGITS reads these by item access: a missing or blank one is an error, but 0 is a value (poly power 0)
  for (const f of params) if ((fields[f] ?? '').trim() === '') errors[f] = [REQUIRED];
  if (Object.keys(errors).length > 0) throw new FormError(errors);
  const num = (f: string) => (values[f] as number | undefined) ?? 0;
  const lr: LrPolicy = {
    policy,
    stepSize: num(policy === 'sigmoid' ? 'lr_sigmoid_step' : 'lr_step_size'),
    gamma: num(LR_FIELDS[policy].find((f) => f.endsWith('_gamma')) ?? ''),
    power: num(LR_FIELDS[policy].find((f) => f.endsWith('_power')) ?? ''),
    stepValues: policy === 'multistep' ? numbersOf(fields.lr_multistep_values ?? '', 'lr_multistep_values') : [],
  };
  const rates = numbersOf(fields.learning_rate ?? '', 'learning_rate');
  return { data: { columns: rates.map((rate, j) => [`Learning Rate ${j}`, ...learningRateCurve(rate, lr)]) } };
}

/** The extension id of a generic model URL (`image-gradients.json` → `image-gradients`); unknown ids are 404. */
function extensionOf(param: string | undefined): string | null {
  if (param === undefined) return null;
  const id = param.replace(/\.json$/, '');
  if (!Object.hasOwn(DATA_EXTENSIONS, id)) throw Errors.NOT_FOUND(`Unknown extension "${id}"`);
  return id;
}

export async function modelRoutes(app: FastifyInstance): Promise<void> {
  const services: Services = app.services;
  const datasetOf = async (record: JobRecord) => (record.datasetId ? await services.store.get(record.datasetId) : null);

  type ExtensionRequest = FastifyRequest<{ Params: { extension?: string } }>;
  const create = (task: ModelTask) => reshowOnFormError(async (request: ExtensionRequest) => modelFormPage(services, task, extensionOf(request.params.extension)), async (request: ExtensionRequest, reply: FastifyReply) => {
    const extension = extensionOf(request.params.extension);
    const form = await readForm(request);
    const username = requireUsername(request, form);
    // the `<job>-snapshot` key and uploads are no form fields: a clone needs them sent again (§1.5)
    const parsed = await parseCreateForm(services, request, form, MODEL_FORM, (fields) => parseModelForm(fields, form.lists, new Set(form.files.keys()), { task }));
    const records = await createModels(services, username, parsed, task, extension);
    request.log.info({ jobIds: records.map((r) => r.id), datasetId: parsed.datasetId }, 'models created');
    const dataset = await services.store.get(parsed.datasetId);
    if (wantsJson(request)) return records.length === 1 ? modelDict(records[0]!, dataset) : { jobs: records.map((r) => modelDict(r, dataset)) };
    return reply.redirect(records.length === 1 ? `/models/${records[0]!.id}` : '/', 302);
  });
  const form = formBody({ ...MODEL_FORM, ...CLONE_FIELD });
  // one job answers its model dict; a sweep `{jobs: [...]}`
  const response = { 200: Type.Union([ModelDictSchema, Type.Object({ jobs: Type.Array(ModelDictSchema) })]) };
  const classification = { summary: 'Create image-classification models (§8; sweeps answer {"jobs": [...]})', tags: ['models'], form, response };
  for (const url of ['/models/images/classification', '/models/images/classification.json']) app.post(url, { schema: classification }, create('classification'));
  const generic = { summary: 'Create generic image models (method=custom); under an extension\'s id, on that extension\'s datasets', tags: ['models'], form, response };
  // DIGITS registers the extension variant without a slash (`/models/images/genericimage-gradients.json`, §4.3); both spellings work
  for (const url of ['/models/images/generic', '/models/images/generic.json', '/models/images/generic:extension', '/models/images/generic/:extension']) app.post(url, { schema: generic }, create('generic'));

  app.post('/models/visualize-lr', { schema: { summary: 'Learning-rate curve of a policy (§8.6, text-json)', tags: ['models'] } }, async (request, reply) => {
    const form = await readForm(request);
    // DIGITS serialises this dict itself, so the type is text/html (§8.6 [text-json])
    return reply.type('text/html; charset=utf-8').send(JSON.stringify(visualizeLr(form.fields)));
  });

  app.get('/models/:id', { schema: { summary: 'Model page, or its detailed JSON with `.json` (§5.4)', tags: ['models'], response: { 200: ModelDictSchema } } }, async (request: FastifyRequest<{ Params: { id: string } }>, reply) => {
    const record = await loadJob(services, request.params.id, 'model');
    const dataset = await datasetOf(record);
    if (wantsJson(request)) return modelDetail(record, dataset, services.config.jobsDir);
    return sendModelPage(services, reply, record);
  });

  // ours: the figures a training measures, apart from the job's description (/models/<id>.json)
  const training = { summary: 'Progress, epoch, images per second and the train/val series (§9.1) of a model\'s training', tags: ['models'], response: { 200: ModelTrainingSchema } };
  app.get('/models/:id/training.json', { schema: training }, async (request: FastifyRequest<{ Params: { id: string } }>) => modelTraining(await loadJob(services, request.params.id, 'model')));
}
