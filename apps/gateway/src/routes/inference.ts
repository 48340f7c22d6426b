/** Classification inference: classify_one and classify_many (contract §10.2–10.3), JSON. */
import fs from 'node:fs/promises';
import path from 'node:path';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { errorOfCode, Errors, isWithinRoots, snapshotOf, parseInferenceList, percent, UPLOADS_DIR, type ClassifyImagesResult, type InferImage, type JobRecord } from '@digits-ts/contracts';
import { RequestClient } from '@digits-ts/queue';
import { arg, readForm, type RequestForm } from '../plugins/form.ts';
import { checkServerPaths } from '../server-paths.ts';
import type { Services } from '../services.ts';
import { classificationStats } from '../views.ts';
import { loadJob } from './jobs.ts';

const TOP = 5;

/** The model named by `job_id`, with at least one snapshot, and the epoch asked for (−1 newest). */
async function modelAndEpoch(services: Services, request: FastifyRequest, form: RequestForm): Promise<{ record: JobRecord; epoch: number }> {
  const jobId = arg(request, form, 'job_id');
  if (!jobId) throw Errors.BAD_REQUEST('job_id is a required field');
  const record = await loadJob(services, jobId, 'model');
  const snapshots = record.model?.snapshots ?? [];
  if (snapshots.length === 0) throw Errors.MODEL_NOT_READY(`model ${record.id} has no snapshot yet; wait for its first epoch`);
  const raw = arg(request, form, 'snapshot_epoch')?.trim() ?? '';
  const epoch = raw === '' ? -1 : Number(raw);
  if (!Number.isFinite(epoch)) throw Errors.VALIDATION_FAILED('snapshot_epoch must be a number');
  snapshotOf(record, epoch, false); // an unknown epoch is refused here, before the queue

  return { record, epoch };
}

/** Stores an upload where workers can read it; removed when the request ends. */
async function storeUpload(services: Services, requestId: string, data: Buffer): Promise<string> {
  const dir = path.join(services.config.jobsDir, UPLOADS_DIR);
  await fs.mkdir(dir, { recursive: true });
  const file = path.join(dir, `${requestId}.upload`);
  await fs.writeFile(file, data);
  return file;
}

async function classify(services: Services, record: JobRecord, epoch: number, images: InferImage[], requestId: string, extra: { scores?: boolean; visualize?: boolean } = {}): Promise<ClassifyImagesResult> {
  return (await services.inference.request('classify-images', { v: 1, jobId: requestId, modelId: record.id, epoch, images, top: TOP, ...extra }, services.config.inferTimeoutMs)) as ClassifyImagesResult;
}

/** classify_many's and top_n's list: the upload, resolved against image_folder, cut at num_test_images. */
async function listFromForm(services: Services, request: FastifyRequest, form: RequestForm) {
  const list = form.files.get('image_list');
  if (!list) throw Errors.BAD_REQUEST('image_list is a required field');
  const folder = arg(request, form, 'image_folder')?.trim() || null;
  if (folder) await checkServerPaths([{ field: 'image_folder', path: folder, kind: 'dir' }], services.config.dataRoots);
  const limitText = arg(request, form, 'num_test_images')?.trim() ?? '';
  const limit = limitText === '' ? Number.POSITIVE_INFINITY : Number(limitText);
  if (!Number.isInteger(limit) && limit !== Number.POSITIVE_INFINITY) throw Errors.VALIDATION_FAILED('num_test_images must be an integer');
  return listImages(services, parseInferenceList(list.data.toString('utf8')).slice(0, limit), folder);
}

/** List lines → images; paths outside DATA_ROOTS are reported, not sent. */
async function listImages(services: Services, lines: { path: string; label: number | null }[], folder: string | null): Promise<{ images: InferImage[]; refused: Record<string, { code: string; message: string }> }> {
  const roots = services.config.dataRoots;
  const realRoots = await Promise.all(roots.map((r) => fs.realpath(r).catch(() => r)));
  const images: InferImage[] = [];
  const refused: Record<string, { code: string; message: string }> = {};
  const resolved = await Promise.all(lines.map(async (line) => {
    const full = path.isAbsolute(line.path) ? line.path : folder ? path.join(folder, line.path) : null;
    return { line, full, real: full ? await fs.realpath(full).catch(() => null) : null };
  }));
  for (const { line, full, real } of resolved) {
    if (!full || /^[a-z]+:\/\//i.test(line.path)) refused[line.path] = { code: 'PATH_NOT_ALLOWED', message: 'only absolute paths (or paths under image_folder) inside DATA_ROOTS are read; URLs are not fetched' };
    else if (!real) refused[line.path] = { code: 'IMAGE_NOT_FOUND', message: `"${line.path}" not found` };
    else if (!isWithinRoots(real, realRoots)) refused[line.path] = { code: 'PATH_NOT_ALLOWED', message: `"${line.path}" is outside DATA_ROOTS` };
    else images.push({ source: line.path, path: real, label: line.label });
  }
  return { images, refused };
}

export async function inferenceRoutes(app: FastifyInstance): Promise<void> {
  const services: Services = app.services;

  const classifyOne = async (request: FastifyRequest) => {
    const form = await readForm(request);
    const { record, epoch } = await modelAndEpoch(services, request, form);
    const requestId = RequestClient.requestId();
    const upload = form.files.get('image_file');
    const imagePath = arg(request, form, 'image_path')?.trim() ?? '';
    let file: string;
    if (upload) file = await storeUpload(services, requestId, upload.data);
    else if (imagePath !== '') {
      await checkServerPaths([{ field: 'image_path', path: imagePath, kind: 'file' }], services.config.dataRoots);
      file = await fs.realpath(imagePath);
    } else throw Errors.BAD_REQUEST('must provide image_path or image_file');
    try {
      const visualize = (arg(request, form, 'show_visualizations') ?? '') !== '';
      const result = await classify(services, record, epoch, [{ source: upload?.filename ?? imagePath, path: file, label: null }], requestId, { visualize });
      const image = result.images[0]!;
      if (image.error) throw errorOfCode(image.error.code, image.error.message) ?? Errors.IMAGE_DECODE_FAILED(image.error.message);
      return { predictions: image.predictions, ...(result.visualizations ? { visualizations: result.visualizations } : {}) };
    } finally {
      if (upload) await fs.rm(file, { force: true });
    }
  };
  // each route answers at `<path>` and `<path>.json`; DIGITS took GET as well as POST for classify
  const serve = (route: string, handler: (request: FastifyRequest) => Promise<unknown>, methods: ('GET' | 'POST')[]) => {
    for (const url of [route, `${route}.json`]) app.route({ method: methods, url, handler });
  };
  serve('/models/images/classification/classify_one', classifyOne, ['GET', 'POST']);

  const classifyMany = async (request: FastifyRequest) => {
    const form = await readForm(request);
    const { record, epoch } = await modelAndEpoch(services, request, form);
    const { images, refused } = await listFromForm(services, request, form);
    const result = images.length > 0 ? await classify(services, record, epoch, images, RequestClient.requestId()) : null;
    const classifications: Record<string, unknown> = {};
    const errors: Record<string, { code: string; message: string }> = { ...refused };
    for (const image of result?.images ?? []) {
      if (image.predictions) classifications[image.source] = image.predictions;
      else if (image.error) errors[image.source] = image.error;
    }
    if (Object.keys(classifications).length === 0) throw Errors.BAD_REQUEST('Unable to classify any image from the file', { details: { errors } });
    const stats = result ? classificationStats(result) : null;
    return { classifications, ...(Object.keys(errors).length > 0 ? { errors } : {}), ...(stats ? { statistics: stats } : {}) };
  };
  serve('/models/images/classification/classify_many', classifyMany, ['GET', 'POST']);

  // §10.4 is an HTML page in DIGITS; until the pages land (issue #7) it answers its data as JSON
  const topN = async (request: FastifyRequest) => {
    const form = await readForm(request);
    const { record, epoch } = await modelAndEpoch(services, request, form);
    const nText = arg(request, form, 'top_n')?.trim() ?? '';
    const n = nText === '' ? 9 : Number(nText);
    if (!Number.isInteger(n) || n < 1) throw Errors.VALIDATION_FAILED('top_n must be a positive integer');
    const { images } = await listFromForm(services, request, form);
    const result = images.length > 0 ? await classify(services, record, epoch, images, RequestClient.requestId(), { scores: true }) : null;
    const scored = (result?.images ?? []).filter((i) => i.scores);
    if (scored.length === 0) throw Errors.BAD_REQUEST('Unable to classify any image from the file');
    const top = Object.fromEntries(result!.labels.map((label, c) => [label, [...scored]
      .sort((a, b) => b.scores![c]! - a.scores![c]!)
      .slice(0, n)
      .map((i) => [i.source, percent(i.scores![c]!)])]));
    return { top_n: top };
  };
  serve('/models/images/classification/top_n', topN, ['POST']);
}
