/**
 * `GET /jobs/<id>/events`: Server-Sent Events of one job as it changes — `status` (status name,
 * progress), `progress`, and for models `metrics` (the newest train/val outputs per epoch). The
 * stream ends after the job reaches Done, Error or Aborted.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { isRunningStatus, statusName, type JobRecord, type Outputs } from '@digits-ts/contracts';
import type { Services } from '../services.ts';
import { loadJob } from './jobs.ts';

/** Comment lines keep proxies from closing an idle stream. */
const KEEPALIVE_MS = 15_000;

/** Each series' newest value (`epoch` included), or null before the first report. */
function newest(outputs: Outputs): Record<string, number | null> | null {
  const epochs = outputs.epoch?.values ?? [];
  if (epochs.length === 0) return null;
  return Object.fromEntries(Object.entries(outputs).map(([name, series]) => [name, series.values.at(-1) ?? null]));
}

/** What a client sees of a record: one entry per event kind, compared by their JSON. */
function viewOf(record: JobRecord): Record<string, unknown> {
  const view: Record<string, unknown> = {
    status: { status: statusName(record.status), ...(record.error ? { error: record.error } : {}) },
    progress: { progress: Math.round(record.progress * 1000) / 1000 },
  };
  if (record.model) view.metrics = { epoch: record.model.epoch, train: newest(record.model.trainOutputs), val: newest(record.model.valOutputs), 'images per second': record.model.imagesPerSecond };
  return view;
}

export async function jobEventRoutes(app: FastifyInstance): Promise<void> {
  const services: Services = app.services;
  // open streams end when the gateway shuts down, so closing does not wait on them
  const open = new Set<() => void>();
  app.addHook('preClose', async () => {
    for (const end of [...open]) end();
  });
  app.get('/jobs/:id/events', async (request: FastifyRequest<{ Params: { id: string } }>, reply) => {
    const { id } = await loadJob(services, request.params.id);
    reply.hijack();
    const out = reply.raw;
    out.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', connection: 'keep-alive', 'x-accel-buffering': 'no' });
    const sent: Record<string, string> = {};
    let ended = false;
    let reading: Promise<void> = Promise.resolve();
    const end = () => {
      if (ended) return;
      ended = true;
      open.delete(end);
      stop();
      clearInterval(keepalive);
      out.end();
    };
    // reads run one after another, so events keep their order
    const refresh = () => {
      reading = reading.then(async () => {
        if (ended) return;
        const record = await services.store.get(id);
        if (!record) {
          out.write(`event: deleted\ndata: ${JSON.stringify({ id })}\n\n`);
          return end();
        }
        for (const [event, data] of Object.entries(viewOf(record))) {
          const text = JSON.stringify(data);
          if (sent[event] === text) continue;
          sent[event] = text;
          out.write(`event: ${event}\ndata: ${text}\n\n`);
        }
        if (!isRunningStatus(record.status)) end();
      }).catch((err: unknown) => {
        request.log.warn({ err, jobId: id }, 'job event stream failed');
        end();
      });
    };
    // listen first, then read, so no change between the two is missed
    const stop = await services.jobChanges.listen(id, refresh);
    const keepalive = setInterval(() => out.write(': keep-alive\n\n'), KEEPALIVE_MS);
    open.add(end);
    request.raw.on('close', end);
    refresh();
  });
}
