/**
 * `POST /models/customize` (contract §11.5) and `POST /models/visualize-network` (§11.6):
 * network definitions as text, and pictures of them (drawn by a worker). Definitions are data;
 * nothing is run.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { Errors, FRAMEWORKS, isStandardNetworkName, snapshotOf, type DrawNetworkResult, type JobRecord, type PretrainedParams, type TrainModelOptions } from '@digits-ts/contracts';
import { standardNetworkText } from '../standard-networks.ts';
import { RequestClient } from '@digits-ts/queue';
import { arg, readForm, type RequestForm } from '../plugins/form.ts';
import { limitedBy } from '../plugins/limits.ts';
import { formBody } from '../openapi.ts';
import type { Services } from '../services.ts';
import { loadJob } from '../jobs/load.ts';

/** A model job's own network text: its custom definition, or the architecture it trained (network.json). */
async function jobNetworkText(services: Services, record: JobRecord, framework: string): Promise<string> {
  const choice = (record.params as TrainModelOptions).network;
  if (choice.method === 'custom') return choice.definition;
  if (choice.method === 'standard') return standardNetworkText(choice.name, framework === 'caffe' ? 'caffe' : 'tensorflow');
  return fs.readFile(path.join(services.config.jobsDir, record.id, 'network.json'), 'utf8').catch(() => {
    throw Errors.MODEL_NOT_READY(`model ${record.id} has not written its network yet`);
  });
}

/** `snapshot_epoch` of customize: 0 (default) none; −1 newest; else that snapshot, as its /files URL (no server paths, §14). */
function snapshotUrl(record: JobRecord, raw: string | undefined): string | null {
  const epoch = raw === undefined || raw.trim() === '' ? 0 : Number(raw);
  if (!Number.isFinite(epoch)) throw Errors.VALIDATION_FAILED('snapshot_epoch must be a number');
  if (epoch === 0) return null;
  const snapshot = snapshotOf(record, epoch);
  return `/files/${record.id}/${snapshot.dir}/model.json`;
}

export async function networkToolRoutes(app: FastifyInstance): Promise<void> {
  const services: Services = app.services;

  const customize = {
    summary: 'A standard network\'s definition, or a model\'s own network (§11.5)', tags: ['models'],
    response: { 200: Type.Object({ network: Type.String({ description: 'the definition text' }), snapshot: Type.Optional(Type.Union([Type.String(), Type.Null()])), python_layer: Type.Optional(Type.Null()) }) },
  };
  app.post('/models/customize', { schema: customize }, async (request: FastifyRequest) => {
    const form: RequestForm = await readForm(request);
    const network = arg(request, form, 'network')?.trim() ?? '';
    if (network === '') throw Errors.BAD_REQUEST('network not provided');
    const framework = arg(request, form, 'framework')?.trim() || 'caffe';
    if (!(FRAMEWORKS as readonly string[]).includes(framework)) throw Errors.BAD_REQUEST(`framework "${framework}" is not one of ${FRAMEWORKS.join(', ')}`);
    if (isStandardNetworkName(network)) {
      // Torch's standard networks are Lua; we serve the same network as a layers JSON instead
      return { network: await standardNetworkText(network, framework === 'caffe' ? 'caffe' : 'tensorflow') };
    }
    const record = await loadJob(services, network);
    if (record.kind === 'pretrained') {
      // a pretrained model's network as training builds it (a deploy.prototxt gets its loss layer)
      const pretrained = (record.params as PretrainedParams).network;
      if (!pretrained) throw Errors.MODEL_NOT_READY(`pretrained model ${record.id} has not been imported`);
      return { network: pretrained.definition, snapshot: snapshotUrl(record, arg(request, form, 'snapshot_epoch')), python_layer: null };
    }
    if (record.kind !== 'model') throw Errors.JOB_NOT_FOUND('Job not found');
    return { network: await jobNetworkText(services, record, framework), snapshot: snapshotUrl(record, arg(request, form, 'snapshot_epoch')), python_layer: null };
  });

  // drawing takes an infer worker: it shares the inference routes' rate limit
  const visualize = {
    summary: 'Picture of a network definition (§11.6): HTML fragment, or format=svg|png', tags: ['models'],
    form: formBody({ custom_network: { kind: 'string', required: true }, format: { kind: 'select', choices: ['html', 'svg', 'png'], default: 'html' } }),
  };
  app.post('/models/visualize-network', { schema: visualize, ...limitedBy(app.rateLimits.infer) }, async (request: FastifyRequest, reply) => {
    const form = await readForm(request);
    const framework = arg(request, form, 'framework')?.trim() ?? '';
    if (framework === '') throw Errors.BAD_REQUEST('framework not provided');
    const text = form.fields.custom_network ?? '';
    if (text.trim() === '') throw Errors.BAD_REQUEST('custom_network is a required field');
    // `format=svg|png` answers the picture itself; DIGITS' answer is an HTML fragment with the PNG inline
    const format = arg(request, form, 'format')?.trim() || 'html';
    if (!['svg', 'png', 'html'].includes(format)) throw Errors.BAD_REQUEST('format must be svg, png or html');
    const payload = { v: 1 as const, jobId: RequestClient.requestId(), network: text, format: format === 'svg' ? ('svg' as const) : ('png' as const) };
    const picture = await services.inference.request('draw-network', payload, services.config.inferTimeoutMs);
    if (format === 'svg') return reply.type('image/svg+xml').send(picture.data);
    if (format === 'png') return reply.type('image/png').send(Buffer.from(picture.data, 'base64'));
    return reply.type('text/html; charset=utf-8').send(`<image src="data:image/png;base64,${picture.data}" style="max-width:100%" />`);
  });
}
