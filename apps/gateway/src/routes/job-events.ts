/**
 * Server-Sent Events. `GET /jobs/<id>/events`: one job as it changes — `status` (status name,
 * progress), `progress`, and for models `metrics` (the newest train/val outputs per epoch); the
 * stream ends after the job reaches Done, Error or Aborted. `GET /jobs/events`: every job's
 * home-page row (`job`) and `deleted`, for the live tables.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { isRunningStatus, statusName, type JobRecord, type Outputs } from '@digits-ts/contracts';
import { jobRow } from '../pages/job-rows.ts';
import type { Services } from '../services.ts';
import { loadJob } from '../jobs/load.ts';

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

interface EventStream {
  /** Sends `data` as `event` unless it is what this key last sent. */
  send(event: string, key: string, data: unknown): void;
  end(): void;
  /** Runs `task` after the ones before it, so events keep their order; a failure ends the stream. */
  queue(task: () => Promise<void>): void;
}

/** Opens an SSE response; `subscribe` starts the notices and returns how to stop them. */
async function openStream(request: FastifyRequest, reply: FastifyReply, open: Set<() => void>, subscribe: (stream: EventStream) => Promise<() => void>): Promise<EventStream> {
  reply.hijack();
  const out = reply.raw;
  out.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', connection: 'keep-alive', 'x-accel-buffering': 'no' });
  const sent = new Map<string, string>();
  let ended = false;
  let stop = () => {};
  let reading: Promise<void> = Promise.resolve();
  const keepalive = setInterval(() => out.write(': keep-alive\n\n'), KEEPALIVE_MS);
  const stream: EventStream = {
    send(event, key, data) {
      const text = JSON.stringify(data);
      if (sent.get(key) === text) return;
      sent.set(key, text);
      out.write(`event: ${event}\ndata: ${text}\n\n`);
    },
    end() {
      if (ended) return;
      ended = true;
      open.delete(stream.end);
      stop();
      clearInterval(keepalive);
      out.end();
    },
    queue(task) {
      reading = reading.then(() => (ended ? undefined : task())).catch((err: unknown) => {
        request.log.warn({ err }, 'event stream failed');
        stream.end();
      });
    },
  };
  open.add(stream.end);
  request.raw.on('close', stream.end);
  // listen first, then read, so no change between the two is missed
  stop = await subscribe(stream);
  if (ended) stop();
  return stream;
}

export async function jobEventRoutes(app: FastifyInstance): Promise<void> {
  const services: Services = app.services;
  // open streams end when the gateway shuts down, so closing does not wait on them
  const open = new Set<() => void>();
  app.addHook('preClose', async () => {
    for (const end of [...open]) end();
  });

  app.get('/jobs/:id/events', { schema: { summary: 'Server-Sent Events: status, progress and training metrics until the job ends', tags: ['jobs'] } }, async (request: FastifyRequest<{ Params: { id: string } }>, reply) => {
    const { id } = await loadJob(services, request.params.id);
    const refresh = (stream: EventStream) => stream.queue(async () => {
      const record = await services.store.get(id);
      if (!record) {
        stream.send('deleted', 'deleted', { id });
        return stream.end();
      }
      for (const [event, data] of Object.entries(viewOf(record))) stream.send(event, event, data);
      if (!isRunningStatus(record.status)) stream.end();
    });
    const stream = await openStream(request, reply, open, (s) => services.jobChanges.listen(id, () => refresh(s)));
    refresh(stream);
  });

  app.get('/jobs/events', { schema: { summary: 'Server-Sent Events: every job\'s home-page row (`job`) as it changes, and `deleted`', tags: ['jobs'] } }, async (request, reply) => {
    const refresh = (stream: EventStream, id: string) => stream.queue(async () => {
      const record = await services.store.get(id);
      if (!record) return stream.send('deleted', id, { id });
      const dataset = record.datasetId ? await services.store.get(record.datasetId) : null;
      stream.send('job', id, jobRow(record, dataset));
    });
    await openStream(request, reply, open, (s) => services.jobChanges.listenAll((id) => refresh(s, id)));
  });
}
