/** Inference: classification's classify_one / classify_many / top_n (§10.2–10.4) and generic models' infer_* (§10.5): JSON, or result pages for browsers. */
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply, FastifyRequest, FastifySchema } from 'fastify';
import { errorOfCode, Errors, percent, snapshotOf, UPLOADS_DIR, type ClassifiedImage, type ClassifyImagesPayload, type ClassifyImagesResult, type GenericDatasetOptions, type InferImage, type JobRecord } from '@digits-ts/contracts';
import { isWithinRoots } from '@digits-ts/config';
import { DATA_EXTENSIONS, parseForm, parseInferenceList, type FormSpec } from '../forms/index.ts';
import { Type, type TSchema } from 'typebox';
import { RequestClient } from '@digits-ts/queue';
import { CLASSIFY_MANY_FORM, CLASSIFY_ONE_FORM, IMAGE_LIST_UPLOADS, INFER_DB_FORM, INFER_EXTENSION_FORM, INFER_MANY_FORM, INFER_ONE_FORM, ONE_IMAGE_UPLOADS, parseInferenceForm, TOP_N_FORM, type InferenceArgs } from '../forms/inference-form.ts';
import { inferenceSeconds } from '../metrics.ts';
import { formBody } from '../openapi.ts';
import { FormError } from '../plugins/errors.ts';
import { limitedBy } from '../plugins/limits.ts';
import { wantsJson } from '../plugins/negotiation.ts';
import { arg, readForm, type RequestForm } from '../plugins/form.ts';
import { checkServerPaths, datasetDbPath, realRoots } from '../server-paths.ts';
import type { Services } from '../services.ts';
import { classificationStats } from '../classification-stats.ts';
import { loadJob } from '../jobs/load.ts';
import { inferenceTitle } from '../pages/titles.ts';
import { parseViewForm, VIEW_FORM, viewExtension, type ChosenView } from '../forms/view-extensions.ts';
import { datasetDims } from '../job-json.ts';
import { boxesHeader, viewRows } from '../pages/inference-views.ts';
import { formSections } from '../pages/form-view.ts';

const TOP = 5;
/** `[label, confidence %]`, best first (§10.2). */
const Predictions = Type.Array(Type.Tuple([Type.String(), Type.Number()]));
/** Inputs that did not run, by source, and why. */
const InputErrors = Type.Record(Type.String(), Type.Object({ code: Type.String(), message: Type.String() }, { additionalProperties: true }));
/** JSON answers (pages are HTML): outputs are nested number lists by blob name, left open. */
const ANSWERS: Record<string, TSchema> = {
  classifyOne: Type.Object({ predictions: Predictions, visualizations: Type.Optional(Type.Unknown()) }),
  classifyMany: Type.Object({ classifications: Type.Record(Type.String(), Predictions), errors: Type.Optional(InputErrors), statistics: Type.Optional(Type.Unknown()) }),
  topN: Type.Object({ top_n: Type.Record(Type.String(), Type.Array(Type.Tuple([Type.String(), Type.Number()]))) }),
  outputs: Type.Object({ outputs: Type.Record(Type.String(), Type.Unknown()), errors: Type.Optional(InputErrors), visualizations: Type.Optional(Type.Unknown()) }),
};
/** Every data extension's own inference fields, for infer_extension's docs (the model's dataset says which apply). */
const EXTENSION_INFERENCE_FORMS = Object.values(DATA_EXTENSIONS).reduce<FormSpec>((all, e) => ({ ...all, ...e.inferenceForm }), {});

/** The request's inference form read by `spec`: each field an arg (query first, then form), as DIGITS reads them. */
async function inferenceForm(request: FastifyRequest, spec: FormSpec): Promise<{ form: RequestForm; args: InferenceArgs }> {
  const form = await readForm(request);
  const fields = Object.fromEntries(Object.keys(spec).map((name) => [name, arg(request, form, name)]));
  return { form, args: parseInferenceForm(spec, fields) };
}

/** The model named by `job_id`, with at least one snapshot, and the epoch asked for (−1 newest). */
async function modelAndEpoch(services: Services, args: InferenceArgs): Promise<{ record: JobRecord; epoch: number }> {
  // a pretrained-model job classifies like a model (§4.4)
  const record = await loadJob(services, args.jobId);
  if (record.kind !== 'model' && record.kind !== 'pretrained') throw Errors.JOB_NOT_FOUND('Job not found');
  const snapshots = record.model?.snapshots ?? [];
  if (snapshots.length === 0) throw Errors.MODEL_NOT_READY(`model ${record.id} has no snapshot yet; wait for its first epoch`);
  snapshotOf(record, args.epoch, false); // an unknown epoch is refused here, before the queue
  return { record, epoch: args.epoch };
}

/** Stores an upload where workers can read it; removed when the request ends. */
async function storeUpload(services: Services, requestId: string, data: Buffer): Promise<string> {
  const dir = path.join(services.config.jobsDir, UPLOADS_DIR);
  await fs.mkdir(dir, { recursive: true });
  const file = path.join(dir, `${requestId}.upload`);
  await fs.writeFile(file, data);
  return file;
}

type InferExtras = Partial<Pick<ClassifyImagesPayload, 'scores' | 'visualize' | 'mode' | 'resize' | 'source' | 'thumbnails' | 'outputImage'>>;

async function classify(services: Services, record: JobRecord, epoch: number, images: InferImage[], requestId: string, extra: InferExtras = {}): Promise<ClassifyImagesResult> {
  const end = inferenceSeconds.startTimer({ job: 'classify-images' });
  let outcome = 'failed';
  try {
    const result = await services.inference.request('classify-images', { v: 1, jobId: requestId, modelId: record.id, epoch, images, top: TOP, ...extra }, services.config.inferTimeoutMs);
    outcome = 'answered';
    return result;
  } finally {
    end({ outcome });
  }
}

/** The image of classify_one / infer_one: an upload (stored for the worker) or a server path in DATA_ROOTS. */
async function singleImage(services: Services, form: RequestForm, imagePath: string, requestId: string): Promise<{ image: InferImage; cleanup: () => Promise<void> }> {
  const upload = form.files.get('image_file');
  if (upload) {
    const file = await storeUpload(services, requestId, upload.data);
    return { image: { source: upload.filename, path: file, label: null }, cleanup: () => fs.rm(file, { force: true }) };
  }
  if (imagePath === '') throw Errors.BAD_REQUEST('must provide image_path or image_file');
  await checkServerPaths([{ field: 'image_path', path: imagePath, kind: 'file' }], services.config.dataRoots);
  return { image: { source: imagePath, path: await fs.realpath(imagePath), label: null }, cleanup: async () => {} };
}

/** An input the worker could not use, as the error it reported. */
function inputError(image: ClassifiedImage): Error {
  return errorOfCode(image.error!.code, image.error!.message) ?? Errors.IMAGE_DECODE_FAILED(image.error!.message);
}

/**
 * Generic inference's options: outputs by name, resized unless `dont_resize` is set (§10.5). A
 * page (`view` set) also gets the inputs' thumbnails and, for Image output, the worker's drawing
 * of each first output (§10.6); JSON answers never carry view output, so JSON skips both.
 */
function outputsMode(args: InferenceArgs, view: ChosenView | null): InferExtras & Pick<ClassifyImagesPayload, 'outputImage' | 'segmentation'> {
  if (!view) return { mode: 'outputs', resize: args.resize };
  const drawn = view.id === 'image-image-output' ? { outputImage: view.config } : view.id === 'image-segmentation' ? { segmentation: view.config } : {};
  return { mode: 'outputs', resize: args.resize, thumbnails: true, ...drawn };
}

/** The view a page request chose (form body only, §10.6), or null for JSON; checked for both, before the work. */
function chosenView(request: FastifyRequest, form: RequestForm): ChosenView | null {
  const view = parseViewForm(form.fields);
  return wantsJson(request) ? null : view;
}

/** `{key: outputs}` of every input that ran, and the reasons the others did not. */
function outputsByKey(result: ClassifyImagesResult | null, refused: Record<string, { code: string; message: string }>, none: string) {
  const outputs: Record<string, unknown> = {};
  const errors: Record<string, { code: string; message: string }> = { ...refused };
  for (const image of result?.images ?? []) {
    if (image.outputs) outputs[image.source] = image.outputs;
    else if (image.error) errors[image.source] = image.error;
  }
  if (Object.keys(outputs).length === 0) throw Errors.BAD_REQUEST(none, { details: { errors } });
  return { outputs, ...(Object.keys(errors).length > 0 ? { errors } : {}) };
}

/** classify_many's and top_n's list: the upload, resolved against image_folder, cut at num_test_images. */
async function listFromForm(services: Services, form: RequestForm, args: InferenceArgs) {
  const list = form.files.get('image_list');
  if (!list) throw Errors.BAD_REQUEST('image_list is a required field');
  const folder = args.imageFolder;
  if (folder) await checkServerPaths([{ field: 'image_folder', path: folder, kind: 'dir' }], services.config.dataRoots);
  return listImages(services, parseInferenceList(list.data.toString('utf8')).slice(0, args.limit), folder);
}

/**
 * List lines → images; paths outside DATA_ROOTS are reported, not sent. The check here is
 * lexical (no file system call per line); the worker resolves each path and checks it again, so
 * a symlink out of the roots and a missing file come back as that image's error.
 */
async function listImages(services: Services, lines: { path: string; label: number | null }[], folder: string | null): Promise<{ images: InferImage[]; refused: Record<string, { code: string; message: string }> }> {
  const configured = services.config.dataRoots;
  const roots = [...configured, ...(await realRoots(configured))];
  const images: InferImage[] = [];
  const refused: Record<string, { code: string; message: string }> = {};
  for (const line of lines) {
    const full = path.isAbsolute(line.path) ? path.resolve(line.path) : folder ? path.resolve(folder, line.path) : null;
    if (!full || /^[a-z]+:\/\//i.test(line.path)) refused[line.path] = { code: 'PATH_NOT_ALLOWED', message: 'only absolute paths (or paths under image_folder) inside DATA_ROOTS are read; URLs are not fetched' };
    else if (!isWithinRoots(full, roots)) refused[line.path] = { code: 'PATH_NOT_ALLOWED', message: `"${line.path}" is outside DATA_ROOTS` };
    else images.push({ source: line.path, path: full, label: line.label });
  }
  return { images, refused };
}

/** The views' static files (DIGITS' `static/` folders) and their types; served by `/extension-static/view/<id>/<file>`. */
const EXTENSION_STATIC_DIR = fileURLToPath(new URL('../../extension-static', import.meta.url));
const VIEW_STATIC: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  'image-segmentation': { 'js/app.js': 'text/javascript; charset=utf-8', 'css/app.css': 'text/css; charset=utf-8' },
};

export async function inferenceRoutes(app: FastifyInstance): Promise<void> {
  const services: Services = app.services;

  /** One image (upload or path) through the worker; the upload is removed afterwards. */
  const inferSingle = async (form: RequestForm, args: InferenceArgs, extras: InferExtras) => {
    const { record, epoch } = await modelAndEpoch(services, args);
    const requestId = RequestClient.requestId();
    const { image: input, cleanup } = await singleImage(services, form, args.imagePath, requestId);
    try {
      const result = await classify(services, record, epoch, [input], requestId, { ...extras, visualize: args.visualize });
      const image = result.images[0]!;
      if (image.error) throw inputError(image);
      return { record, epoch: result.epoch, image, ...(result.visualizations ? { visualizations: result.visualizations } : {}) };
    } finally {
      await cleanup();
    }
  };

  // a browser gets the result page (§1.1), with thumbnails of the images as the model saw them
  const classifyOne = async (request: FastifyRequest, reply: FastifyReply) => {
    const html = !wantsJson(request);
    const { form, args } = await inferenceForm(request, CLASSIFY_ONE_FORM);
    const { record, epoch, image, visualizations } = await inferSingle(form, args, { thumbnails: html });
    if (html) return reply.page('classify-one', { title: inferenceTitle(request), record, epoch, image });
    return { predictions: image.predictions, ...(visualizations ? { visualizations } : {}) };
  };
  // each route answers at `<path>` and `<path>.json`; DIGITS took GET as well as POST for classify
  // one RATE_LIMIT_INFER_PER_MIN budget per client across every inference route and spelling
  const serve = (route: string, schema: FastifySchema, handler: (request: FastifyRequest, reply: FastifyReply) => Promise<unknown>, methods: ('GET' | 'POST')[]) => {
    for (const url of [route, `${route}.json`]) app.route({ method: methods, url, schema: { tags: ['inference'], ...schema }, handler, ...limitedBy(app.rateLimits.infer) });
  };
  serve('/models/images/classification/classify_one', { summary: 'Top-5 predictions for one image (§10.2)', form: formBody(CLASSIFY_ONE_FORM, ONE_IMAGE_UPLOADS), response: { 200: ANSWERS.classifyOne } }, classifyOne, ['GET', 'POST']);

  const classifyMany = async (request: FastifyRequest, reply: FastifyReply) => {
    const html = !wantsJson(request);
    const { form, args } = await inferenceForm(request, CLASSIFY_MANY_FORM);
    const { record, epoch } = await modelAndEpoch(services, args);
    const { images, refused } = await listFromForm(services, form, args);
    const result = images.length > 0 ? await classify(services, record, epoch, images, RequestClient.requestId(), { thumbnails: html }) : null;
    const classifications: Record<string, unknown> = {};
    const errors: Record<string, { code: string; message: string }> = { ...refused };
    for (const image of result?.images ?? []) {
      if (image.predictions) classifications[image.source] = image.predictions;
      else if (image.error) errors[image.source] = image.error;
    }
    if (Object.keys(classifications).length === 0) throw Errors.BAD_REQUEST('Unable to classify any image from the file', { details: { errors } });
    const stats = result ? classificationStats(result) : null;
    if (html) return reply.page('classify-many', { title: inferenceTitle(request), record, epoch: result!.epoch, labels: result!.labels, images: result!.images.filter((i) => i.predictions), errors, stats });
    return { classifications, ...(Object.keys(errors).length > 0 ? { errors } : {}), ...(stats ? { statistics: stats } : {}) };
  };
  serve('/models/images/classification/classify_many', { summary: 'Top-5 predictions for a list of images, with statistics (§10.3)', form: formBody(CLASSIFY_MANY_FORM, IMAGE_LIST_UPLOADS), response: { 200: ANSWERS.classifyMany } }, classifyMany, ['GET', 'POST']);

  // §10.4: DIGITS' page of the best images per class; `.json` answers its data
  const topN = async (request: FastifyRequest, reply: FastifyReply) => {
    const html = !wantsJson(request);
    const { form, args } = await inferenceForm(request, TOP_N_FORM);
    const { record, epoch } = await modelAndEpoch(services, args);
    const n = args.topN;
    const { images } = await listFromForm(services, form, args);
    const result = images.length > 0 ? await classify(services, record, epoch, images, RequestClient.requestId(), { scores: true, thumbnails: html }) : null;
    const scored = (result?.images ?? []).filter((i) => i.scores);
    if (scored.length === 0) throw Errors.BAD_REQUEST('Unable to classify any image from the file');
    const top = Object.fromEntries(result!.labels.map((label, c) => [label, [...scored]
      .sort((a, b) => b.scores![c]! - a.scores![c]!)
      .slice(0, n)
      .map((i) => [i.source, percent(i.scores![c]!)])]));
    if (html) {
      const thumbnails = Object.fromEntries(scored.map((i) => [i.source, i.thumbnail ?? null]));
      return reply.page('top-n', { title: inferenceTitle(request), record, epoch: result!.epoch, n, top, thumbnails });
    }
    return { top_n: top };
  };
  serve('/models/images/classification/top_n', { summary: 'The best top_n images per class (§10.4)', form: formBody(TOP_N_FORM, IMAGE_LIST_UPLOADS), response: { 200: ANSWERS.topN } }, topN, ['POST']);

  // generic image models (§10.5): every deploy output by blob name
  type Answer = { outputs: Record<string, unknown>; errors?: Record<string, { code: string; message: string }> };
  /** How a route lays its page out (§10.6): infer_one one input with its source; lists a table keyed by path or DB key. */
  type Layout = { single: boolean; source: boolean; keyLabel: string | null };
  const LAYOUTS: Record<string, Layout> = {
    one: { single: true, source: true, keyLabel: null },
    many: { single: false, source: false, keyLabel: 'Path' },
    db: { single: false, source: false, keyLabel: 'Key' },
    extension: { single: false, source: false, keyLabel: null },
  };
  /** A browser gets the outputs drawn by the chosen view; JSON clients the dict itself (§1.1). */
  const outputsAnswer = async (request: FastifyRequest, reply: FastifyReply, record: JobRecord, answer: Answer, page: { view: ChosenView | null; result: ClassifyImagesResult | null; layout: keyof typeof LAYOUTS }) => {
    if (wantsJson(request) || !page.view || !page.result) return answer;
    const { view, result } = page;
    const dims = (view.id === 'image-gradients' || view.id === 'image-bounding-boxes') && record.datasetId ? datasetDims(await services.store.get(record.datasetId)) : null;
    const rows = viewRows(view, result.images, dims);
    const header = view.id === 'image-bounding-boxes' ? boxesHeader(rows) : null;
    const layout = LAYOUTS[page.layout]!;
    // infer_extension shows a single entry alone (§10.6)
    const single = layout.single || (page.layout === 'extension' && rows.length === 1);
    // a view's own static files (segmentation's), and the boxes view's drawing script
    const assets = VIEW_STATIC[view.id] ? Object.keys(VIEW_STATIC[view.id]!).map((file) => `/extension-static/view/${view.id}/${file}`) : [];
    if (view.id === 'image-bounding-boxes') assets.push('/static/js/bbox-view.js');
    return reply.page('infer-outputs', { scripts: assets.filter((a) => a.endsWith('.js')), styles: assets.filter((a) => a.endsWith('.css')), title: inferenceTitle(request), record, epoch: result.epoch, view, rows, header, total: Object.keys(answer.outputs).length, single, source: layout.source, keyed: layout.keyLabel !== null, keyLabel: layout.keyLabel, errors: answer.errors ?? {} });
  };

  const inferOne = async (request: FastifyRequest, reply: FastifyReply) => {
    const { form, args } = await inferenceForm(request, INFER_ONE_FORM);
    const view = chosenView(request, form);
    const { record, epoch, image, visualizations } = await inferSingle(form, args, outputsMode(args, view));
    if (view) return outputsAnswer(request, reply, record, { outputs: { [image.source]: image.outputs } }, { view, result: { epoch, labels: [], images: [image], loadMs: 0 }, layout: 'one' });
    // infer_one keeps the batch dimension of 1
    const outputs = Object.fromEntries(Object.entries(image.outputs!).map(([name, value]) => [name, [value]]));
    return { outputs, ...(visualizations ? { visualizations } : {}) };
  };
  serve('/models/images/generic/infer_one', { summary: 'Every network output for one image, batch dimension kept (§10.5)', form: formBody({ ...INFER_ONE_FORM, ...VIEW_FORM }, ONE_IMAGE_UPLOADS), response: { 200: ANSWERS.outputs } }, inferOne, ['POST']);

  const inferMany = async (request: FastifyRequest, reply: FastifyReply) => {
    const { form, args } = await inferenceForm(request, INFER_MANY_FORM);
    const view = chosenView(request, form);
    const { record, epoch } = await modelAndEpoch(services, args);
    const { images, refused } = await listFromForm(services, form, args);
    // ground truths at the line ends mean nothing to generic models
    const unlabelled = images.map((i) => ({ ...i, label: null }));
    const result = images.length > 0 ? await classify(services, record, epoch, unlabelled, RequestClient.requestId(), outputsMode(args, view)) : null;
    return outputsAnswer(request, reply, record, outputsByKey(result, refused, 'Unable to infer any image from the file'), { view, result, layout: 'many' });
  };
  serve('/models/images/generic/infer_many', { summary: 'Every network output per listed image (§10.5)', form: formBody({ ...INFER_MANY_FORM, ...VIEW_FORM }, IMAGE_LIST_UPLOADS), response: { 200: ANSWERS.outputs } }, inferMany, ['POST']);

  const inferDb = async (request: FastifyRequest, reply: FastifyReply) => {
    const { form, args } = await inferenceForm(request, INFER_DB_FORM);
    const view = chosenView(request, form);
    const { record, epoch } = await modelAndEpoch(services, args);
    const dbPath = args.dbPath;
    // DIGITS' message, typo included (§10.5), for a path inside DATA_ROOTS or a dataset's own
    // folder only: one elsewhere is refused unstat-ed, so the answer never tells what exists there
    const ownDb = await datasetDbPath(services.store, services.config.jobsDir, dbPath);
    const inside = path.isAbsolute(dbPath) && isWithinRoots(path.resolve(dbPath), services.config.dataRoots);
    const exists = inside && (await fs.stat(dbPath).then((st) => st.isDirectory(), () => false));
    if (!path.isAbsolute(dbPath) || ownDb === 'missing' || (ownDb === null && inside && !exists)) throw Errors.BAD_REQUEST(`DB "${dbPath}" does not exit`);
    if (ownDb === null) await checkServerPaths([{ field: 'db_path', path: dbPath, kind: 'dir' }], services.config.dataRoots);
    const real = ownDb ?? await fs.realpath(dbPath);
    const result = await classify(services, record, epoch, [], RequestClient.requestId(), { ...outputsMode(args, view), source: { kind: 'db', path: real } });
    return outputsAnswer(request, reply, record, outputsByKey(result, {}, `No entry of DB "${dbPath}" could be used`), { view, result, layout: 'db' });
  };
  serve('/models/images/generic/infer_db', { summary: 'Every network output per entry of an LMDB inside DATA_ROOTS or a dataset job\'s own folder (§10.5)', form: formBody({ ...INFER_DB_FORM, ...VIEW_FORM }), response: { 200: ANSWERS.outputs } }, inferDb, ['POST']);

  const inferExtension = async (request: FastifyRequest, reply: FastifyReply) => {
    const { form, args } = await inferenceForm(request, INFER_EXTENSION_FORM);
    const view = chosenView(request, form);
    const { record, epoch } = await modelAndEpoch(services, args);
    const dataset = record.datasetId ? await services.store.get(record.datasetId) : null;
    const options = dataset?.params as GenericDatasetOptions | undefined;
    const extension = options?.extension ? DATA_EXTENSIONS[options.extension] : undefined;
    if (!extension || !options) throw Errors.BAD_REQUEST(`model ${record.id} was not trained on a data extension's dataset`);
    // DIGITS fails with a 500 here (§7.5); it is the client's choice of route
    if (!extension.inferenceForm || options.extension !== 'image-gradients') throw Errors.BAD_REQUEST(`the "${extension.id}" extension has no inference form; use infer_one, infer_many or infer_db`);
    const { values, errors } = parseForm(extension.inferenceForm, form.fields);
    if (Object.keys(errors).length > 0) throw new FormError(errors);
    const count = values.test_image_count as number | null;
    const source = { kind: 'image-gradients' as const, gradientX: values.gradient_x as number, gradientY: values.gradient_y as number, count, width: options.extensionOptions.width, height: options.extensionOptions.height };
    const result = await classify(services, record, epoch, [], RequestClient.requestId(), { ...outputsMode(args, view), source, visualize: args.visualize });
    const answer = outputsByKey(result, {}, 'No generated entry could be used');
    if (view) return outputsAnswer(request, reply, record, answer, { view, result, layout: 'extension' });
    return { ...answer, ...(result.visualizations ? { visualizations: result.visualizations } : {}) };
  };
  serve('/models/images/generic/infer_extension', { summary: 'Every network output for entries the dataset\'s extension generates (§10.5)', form: formBody({ ...INFER_EXTENSION_FORM, ...EXTENSION_INFERENCE_FORMS, ...VIEW_FORM }), response: { 200: ANSWERS.outputs } }, inferExtension, ['POST']);

  // §10.6: a view's static files (only image-segmentation has any); a fixed list, so no path is ever built from the URL
  app.get('/extension-static/:type/:extension_id/*', { schema: { summary: 'A view extension\'s static file (§10.6): image-segmentation\'s js/app.js and css/app.css', tags: ['inference'], params: Type.Object({ type: Type.String(), extension_id: Type.String(), '*': Type.String() }) } }, async (request, reply) => {
    const { type, extension_id: id, '*': file } = request.params as { type: string; extension_id: string; '*': string };
    const known = type === 'view' && Object.hasOwn(VIEW_STATIC, id) && Object.hasOwn(VIEW_STATIC[id]!, file) ? VIEW_STATIC[id]![file]! : null;
    // DIGITS: 500 for any other id and for the `data` type; a missing file is the client's 404 here
    if (!known) throw Errors.NOT_FOUND(`Extension "${id}" has no static file "${file}" (${type})`);
    return reply.type(known).header('cache-control', 'public, max-age=3600').send(await fs.readFile(path.join(EXTENSION_STATIC_DIR, 'view', id, file)));
  });

  // §10.6: the view's config fields as an HTML snippet for the model page's inference forms (defaults only)
  app.get('/models/view-config/:extension_id', { schema: { summary: 'A view extension\'s config form as an HTML snippet (§10.6)', tags: ['inference'], params: Type.Object({ extension_id: Type.String() }) } }, async (request, reply) => {
    const view = viewExtension((request.params as { extension_id: string }).extension_id);
    const overrides = Object.fromEntries(Object.entries(view.help).map(([name, help]) => [name, { label: help.label, help: help.help }]));
    const fields = formSections({ spec: view.form, sections: [{ legend: view.title, fields: Object.keys(view.form) }], overrides })[0]!.fields;
    const html = await app.view('view-config', { view, fields, idPrefix: `view-${view.id}` });
    return reply.type('text/html; charset=utf-8').send(html);
  });
}
