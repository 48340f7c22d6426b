/** `GET|POST /models/<id>/download[.<ext>]` (contract §11.4). */
import path from 'node:path';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Errors, snapshotOf } from '@digits-ts/contracts';
import { ARCHIVE_TYPES, archiveStream, readMembers, type ArchiveType } from '../model-archive.ts';
import { arg, readForm } from '../plugins/form.ts';
import type { Services } from '../services.ts';
import { modelDict } from '../job-json.ts';
import { loadJob } from '../jobs/load.ts';

/** `download`, `download.tar.gz`, … → the archive type; anything else is no download route. */
function archiveTypeOf(file: string): ArchiveType | null | 'invalid' {
  if (file === 'download') return 'tar.gz';
  if (!file.startsWith('download.')) return null;
  const ext = file.slice('download.'.length);
  return ext in ARCHIVE_TYPES ? (ext as ArchiveType) : 'invalid';
}

export async function modelDownloadRoutes(app: FastifyInstance): Promise<void> {
  const services: Services = app.services;

  const download = async (request: FastifyRequest<{ Params: { id: string; file: string } }>, reply: FastifyReply) => {
    const type = archiveTypeOf(request.params.file);
    if (type === null) throw Errors.NOT_FOUND('Not Found');
    if (type === 'invalid') throw Errors.BAD_REQUEST('Invalid extension; use tar.gz, tgz, tar, tar.bz2 or zip');
    const form = request.method === 'POST' ? await readForm(request) : null;
    const record = await loadJob(services, request.params.id, 'model');
    const snapshots = record.model?.snapshots ?? [];
    if (snapshots.length === 0) throw Errors.MODEL_NOT_READY(`model ${record.id} has no snapshot to download yet`);
    const raw = (arg(request, null, 'epoch') ?? form?.fields.snapshot_epoch ?? '').trim();
    const asked = raw === '' ? -1 : Number(raw);
    if (!Number.isFinite(asked)) throw Errors.SNAPSHOT_NOT_FOUND(`Invalid epoch ${raw}`);
    const snapshot = snapshotOf(record, asked);
    const jobDir = services.store.jobDir(record.id);
    const dataset = record.datasetId ? await services.store.get(record.datasetId) : null;
    const datasetDir = record.datasetId ? services.store.jobDir(record.datasetId) : null;
    const info = { ...modelDict({ ...record, model: { ...record.model!, snapshots: [snapshot] } }, dataset), 'snapshot epoch': snapshot.epoch };
    const members = await readMembers({
      'model.json': path.join(jobDir, snapshot.dir, 'model.json'),
      'weights.bin': path.join(jobDir, snapshot.dir, 'weights.bin'),
      'network.json': path.join(jobDir, 'network.json'),
      'mean.json': path.join(jobDir, 'mean.json'),
      ...(datasetDir ? { 'labels.txt': path.join(datasetDir, 'labels.txt'), 'mean.binaryproto': path.join(datasetDir, 'mean.binaryproto') } : {}),
    });
    const sorted = Object.fromEntries(Object.entries(info).sort(([a], [b]) => a.localeCompare(b)));
    members.push({ name: 'info.json', data: Buffer.from(JSON.stringify(sorted, null, 4)) });
    const epochText = raw === '' ? '-1' : raw;
    const archive = await archiveStream(type, members);
    return reply
      .header('content-type', ARCHIVE_TYPES[type])
      .header('content-disposition', `attachment; filename=${record.id}_epoch_${epochText}.${type}`)
      .send(archive);
  };
  const schema = { summary: 'Download a snapshot: download[.tar.gz|.tgz|.tar|.tar.bz2|.zip] (§11.4)', tags: ['models'] };
  app.get('/models/:id/:file', { schema }, download);
  app.post('/models/:id/:file', { schema }, download);
}
