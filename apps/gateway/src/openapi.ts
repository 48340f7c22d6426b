/**
 * OpenAPI for every route (@fastify/swagger), served at `/openapi.json` and browsable at `/docs`
 * (@fastify/swagger-ui). Form bodies are documented from the same FormSpecs the parsers use, as
 * TypeBox schemas; JSON answers from the contracts' TypeBox types. The schemas document only:
 * forms keep DIGITS' own validation (WTForms-shaped errors), so Fastify validates nothing here.
 */
import type { FastifyInstance, RouteOptions } from 'fastify';
import fp from 'fastify-plugin';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { Type, type TSchema } from 'typebox';
import { CLASSIFY_MANY_FORM, CLASSIFY_ONE_FORM, IMAGE_LIST_UPLOADS, INFER_DB_FORM, INFER_EXTENSION_FORM, INFER_MANY_FORM, INFER_ONE_FORM, ONE_IMAGE_UPLOADS, TOP_N_FORM } from './forms/inference-form.ts';
import { DATA_EXTENSIONS, DATASET_FORM, ENCODINGS, RESIZE_MODES, GENERIC_DATASET_FORM, MODEL_FORM, PREBUILT_DATASET_FORM, WorkerInfo, type FieldSpec, type FormSpec } from '@digits-ts/contracts';

/** One form field as a documented string (forms carry text; the spec says how it is read). */
function fieldSchema(name: string, spec: FieldSpec): TSchema {
  const parts: string[] = [spec.kind];
  if ('choices' in spec) parts.push(`one of ${spec.choices.join(', ')}`);
  if ('min' in spec && spec.min !== undefined) parts.push(`≥ ${spec.min}`);
  if ('max' in spec && spec.max !== undefined) parts.push(`≤ ${spec.max}`);
  if ('required' in spec && spec.required) parts.push('required');
  if (spec.kind === 'multi-float' || spec.kind === 'multi-int') parts.push('comma list: one job per value (sweep)');
  const fallback = 'default' in spec && spec.default !== undefined && spec.default !== null ? { default: String(spec.default) } : {};
  return Type.String({ description: `${name}: ${parts.join(', ')}`, ...fallback });
}

/** A FormSpec (plus upload fields) as the TypeBox schema of a form body. */
export function formBody(spec: FormSpec, files: string[] = []): TSchema {
  const fields = Object.fromEntries(Object.entries(spec).map(([name, field]) => [name, Type.Optional(fieldSchema(name, field))]));
  const uploads = Object.fromEntries(files.map((name) => [name, Type.Optional(Type.String({ format: 'binary', description: `${name}: a file upload` }))]));
  return Type.Object({ ...fields, ...uploads });
}

const text = (description: string) => Type.String({ description });
const EXTENSION_FORMS = Object.values(DATA_EXTENSIONS).reduce<FormSpec>((all, e) => ({ ...all, ...e.form }), {});
const INFER_EXTENSION_FORMS = Object.values(DATA_EXTENSIONS).reduce<FormSpec>((all, e) => ({ ...all, ...e.inferenceForm }), {});

const BaseDict = Type.Object({ id: Type.String(), name: Type.String(), status: Type.String() });
const ErrorEnvelope = Type.Object({ error: Type.Object({ message: Type.String(), type: Type.String(), description: Type.String(), code: Type.String() }) });

interface RouteDoc { summary: string; tag: string; body?: TSchema; ok?: TSchema }

/** Docs by route URL (every method of a URL shares one entry; `.json` twins share theirs). */
const DOCS: Record<string, RouteDoc> = {
  '/': { summary: 'Home page (HTML)', tag: 'jobs' },
  '/health': { summary: 'Liveness', tag: 'service' },
  '/ready': { summary: 'Readiness: Redis reachable', tag: 'service' },
  '/login': { summary: 'Log in as `username` (sets the session cookie); with AUTH_MODE=token, with an API `token` instead; GET shows the form', tag: 'auth', body: formBody({ username: { kind: 'string' }, token: { kind: 'string' } }) },
  '/logout': { summary: 'Log out', tag: 'auth' },
  '/index.json': { summary: 'Every dataset and model (§5.1)', tag: 'jobs' },
  '/jobs/:id': { summary: 'GET redirects to the job page; PUT renames / sets notes (job_name, job_notes); DELETE deletes', tag: 'jobs', body: formBody({ job_name: { kind: 'string' }, job_notes: { kind: 'string' } }) },
  '/jobs/:id/status': { summary: 'Status of any job (text-json)', tag: 'jobs' },
  '/datasets/:id/status': { summary: 'Status of a dataset (text-json)', tag: 'datasets' },
  '/models/:id/status': { summary: 'Status of a model (text-json)', tag: 'models' },
  '/jobs/:id/abort': { summary: 'Abort a running job', tag: 'jobs' },
  '/datasets/:id/abort': { summary: 'Abort a running dataset build', tag: 'datasets' },
  '/models/:id/abort': { summary: 'Abort a running training', tag: 'models' },
  '/models/:id/resume': { summary: 'Resume an Aborted or Error training from its newest checkpoint (weights, optimizer, iteration)', tag: 'models' },
  '/jobs/:id/events': { summary: 'Server-Sent Events: status, progress and training metrics until the job ends', tag: 'jobs' },
  '/datasets/images/classification': { summary: 'Create an image-classification dataset (§6)', tag: 'datasets', body: formBody(DATASET_FORM, ['textfile_train_images', 'textfile_val_images', 'textfile_test_images', 'textfile_labels_file']), ok: BaseDict },
  '/datasets/images/generic': { summary: 'Create a prebuilt-LMDB dataset (§7.4)', tag: 'datasets', body: formBody(PREBUILT_DATASET_FORM), ok: BaseDict },
  '/datasets/generic/create/:extension': { summary: 'Create a data-extension dataset, e.g. image-gradients (§7.2)', tag: 'datasets', body: formBody({ ...GENERIC_DATASET_FORM, ...EXTENSION_FORMS }), ok: BaseDict },
  '/datasets/:id': { summary: 'Dataset page, or its detailed JSON with `.json` (§5.3); DELETE deletes', tag: 'datasets' },
  '/models/images/classification': { summary: 'Create image-classification models (§8; sweeps answer {"jobs": [...]})', tag: 'models', body: formBody(MODEL_FORM) },
  '/models/images/generic': { summary: 'Create generic image models (method=custom)', tag: 'models', body: formBody(MODEL_FORM) },
  '/models/images/generic/:extension': { summary: 'Create generic image models on an extension\'s datasets', tag: 'models', body: formBody(MODEL_FORM) },
  '/models/images/generic:extension': { summary: 'DIGITS\' spelling of the extension route (`/models/images/genericimage-gradients.json`)', tag: 'models', body: formBody(MODEL_FORM) },
  '/models/images/classification/classify_one': { summary: 'Top-5 predictions for one image (§10.2)', tag: 'inference', body: formBody(CLASSIFY_ONE_FORM, ONE_IMAGE_UPLOADS) },
  '/models/images/classification/classify_many': { summary: 'Top-5 predictions for a list of images, with statistics (§10.3)', tag: 'inference', body: formBody(CLASSIFY_MANY_FORM, IMAGE_LIST_UPLOADS) },
  '/models/images/classification/top_n': { summary: 'The best top_n images per class (§10.4)', tag: 'inference', body: formBody(TOP_N_FORM, IMAGE_LIST_UPLOADS) },
  '/models/images/generic/infer_one': { summary: 'Every network output for one image, batch dimension kept (§10.5)', tag: 'inference', body: formBody(INFER_ONE_FORM, ONE_IMAGE_UPLOADS) },
  '/models/images/generic/infer_many': { summary: 'Every network output per listed image (§10.5)', tag: 'inference', body: formBody(INFER_MANY_FORM, IMAGE_LIST_UPLOADS) },
  '/models/images/generic/infer_db': { summary: 'Every network output per entry of an LMDB inside DATA_ROOTS (§10.5)', tag: 'inference', body: formBody(INFER_DB_FORM) },
  '/models/images/generic/infer_extension': { summary: 'Every network output for entries the dataset\'s extension generates (§10.5)', tag: 'inference', body: formBody({ ...INFER_EXTENSION_FORM, ...INFER_EXTENSION_FORMS }) },
  '/models/visualize-lr': { summary: 'Learning-rate curve of a policy (§8.6, text-json)', tag: 'models' },
  '/models/visualize-network': { summary: 'Picture of a network definition (§11.6): HTML fragment, or format=svg|png', tag: 'models', body: formBody({ custom_network: { kind: 'string', required: true }, format: { kind: 'select', choices: ['html', 'svg', 'png'], default: 'html' } }) },
  '/models/customize': { summary: 'A standard network\'s definition, or a model\'s own network (§11.5)', tag: 'models', ok: Type.Object({ network: text('the definition text'), snapshot: Type.Optional(Type.Union([Type.String(), Type.Null()])), python_layer: Type.Optional(Type.Null()) }) },
  '/models/:id': { summary: 'Model page, or its detailed JSON with `.json` (§5.4); DELETE deletes', tag: 'models' },
  '/models/:id/:file': { summary: 'Download a snapshot: download[.tar.gz|.tgz|.tar|.zip] (§11.4)', tag: 'models' },
  '/files/*': { summary: 'Files of the jobs folder (§11.8)', tag: 'jobs' },
  '/metrics': { summary: 'Prometheus metrics', tag: 'service' },
  '/jobs/events': { summary: 'Server-Sent Events: every job\'s home-page row (`job`) as it changes, and `deleted`', tag: 'jobs' },
  '/datasets/images/classification/new': { summary: 'New image-classification dataset form (HTML; login redirects)', tag: 'pages' },
  '/datasets/images/generic/new': { summary: 'New prebuilt-LMDB dataset form (HTML)', tag: 'pages' },
  '/datasets/generic/new/:extension': { summary: 'New data-extension dataset form (HTML)', tag: 'pages' },
  '/models/images/classification/new': { summary: 'New image-classification model form (HTML; `?dataset=` preselects)', tag: 'pages' },
  '/models/images/generic/new': { summary: 'New generic image model form (HTML)', tag: 'pages' },
  '/models/images/generic/new/:extension': { summary: 'New generic model form for an extension\'s datasets (HTML)', tag: 'pages' },
  '/models/images/classification/large_graph': { summary: 'The training graph of model `job_id`, large (HTML)', tag: 'pages' },
  '/models/images/generic/large_graph': { summary: 'The training graph of generic model `job_id`, large (HTML)', tag: 'pages' },
  '/datasets/summary': { summary: 'HTML snippet summarising dataset `job_id`', tag: 'pages' },
  '/datasets/images/resize-example': { summary: 'HTML fragment: a sample image resized as the dataset fields say (§11.7)', tag: 'pages', body: formBody({ width: { kind: 'int', default: 256 }, height: { kind: 'int', default: 256 }, channels: { kind: 'select', choices: ['1', '3'], default: '3' }, resize_mode: { kind: 'select', choices: RESIZE_MODES, default: 'squash' }, encoding: { kind: 'select', choices: ENCODINGS, default: 'png' }, backend: { kind: 'select', choices: ['lmdb'], default: 'lmdb' } }) },
  '/datasets/images/classification/explore': { summary: 'Gallery of a classification dataset DB: job_id, db=train|val|test, page, size, label (HTML)', tag: 'pages' },
  '/datasets/generic/explore': { summary: 'Gallery of a generic dataset DB: job_id, db (its folder), page, size (HTML)', tag: 'pages' },
  '/clone/:id': { summary: 'Redirects to the matching new form filled from job `id` (§1.5)', tag: 'pages' },
  '/static/*': { summary: 'The pages\' stylesheet and scripts', tag: 'pages' },
  '/static/vendor/uplot/*': { summary: 'uPlot, the chart library of the training graphs', tag: 'pages' },
  '/workers.json': { summary: 'Live worker processes', tag: 'service', ok: Type.Object({ workers: Type.Array(WorkerInfo) }) },
};

/** The doc of `url` (a `.json` twin shares its page's entry); undefined when none is written. */
export function routeDoc(url: string): RouteDoc | undefined {
  return DOCS[url] ?? (url.endsWith('.json') ? DOCS[url.slice(0, -5)] : undefined);
}

/** A registered route, as the onRoute hook saw it. */
export interface RouteEntry { url: string; methods: string[] }

declare module 'fastify' {
  interface FastifyInstance {
    /** Every route registered after the OpenAPI plugin (what /openapi.json must cover). */
    routeTable: RouteEntry[];
  }
}

/** Registers swagger, the docs page, and the hook that documents each route as it is added. */
async function openApiPlugin(app: FastifyInstance): Promise<void> {
  // the schemas are documentation: forms keep DIGITS' own validation and answers their own shape
  app.setValidatorCompiler(() => () => true);
  app.setSerializerCompiler(() => (data) => JSON.stringify(data));
  await app.register(swagger, {
    openapi: {
      info: { title: 'DIGITS-TS', version: '0.1.0', description: 'NVIDIA DIGITS\' REST API (datasets, models, inference) over TensorFlow.js. Forms are multipart or urlencoded, as with `curl -F`.' },
      // AUTH_MODE=token: every route that creates, changes or deletes a job needs this (401 AUTH_TOKEN_REQUIRED without it)
      components: { schemas: { ErrorEnvelope }, securitySchemes: { apiToken: { type: 'http', scheme: 'bearer', description: 'With AUTH_MODE=token: an API token from `npm run tokens -- issue <username>`' } } },
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
  const table: RouteEntry[] = [];
  app.decorate('routeTable', table);
  app.addHook('onRoute', (route: RouteOptions) => {
    table.push({ url: route.url, methods: [route.method].flat() });
    const doc = routeDoc(route.url);
    if (!doc || route.url.startsWith('/docs')) return;
    const methods = [route.method].flat();
    const withBody = methods.some((m) => m === 'POST' || m === 'PUT');
    route.schema = {
      summary: doc.summary,
      tags: [doc.tag],
      ...(doc.body && withBody ? { body: doc.body, consumes: ['multipart/form-data', 'application/x-www-form-urlencoded'] } : {}),
      response: { ...(doc.ok ? { 200: doc.ok } : {}), '4xx': ErrorEnvelope },
      ...route.schema,
      // @fastify/static hides its wildcard routes; ours are documented like any other
      hide: false,
    };
  });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
}

// not encapsulated: its onRoute hook must see the routes registered after it
export const openApi = fp(openApiPlugin, { name: 'openapi' });
