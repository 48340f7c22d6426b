/**
 * Watching a job: a source of updates and a renderer that draws a progress line per update.
 * The updates come from `GET /jobs/<id>/events` (Server-Sent Events: status and progress as
 * they change, datasets' included) with the model's figures from `GET /models/<id>.json` and
 * `/models/<id>/training.json`; a server without the events route (NVIDIA DIGITS) is polled
 * through `GET /jobs/<id>/status`.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { ServerError, type Client } from './client.ts';
import type { Ctx } from './context.ts';
import { epochText, metric, progressBar } from './format.ts';
import { sseMessages } from './sse.ts';

/** Statuses after which a job never changes again (contract §3.2). */
export const FINISHED_STATUSES = ['Done', 'Aborted', 'Error'];

type Series = { kind?: string; values?: (number | null)[] };
type Detail = Record<string, unknown> & { progress?: number; epoch?: number; error?: { code: string; message: string } | null; train_outputs?: Record<string, Series>; val_outputs?: Record<string, Series> };

/** One observation of a job: what the status route says plus, when read, its detailed JSON. */
export interface JobUpdate {
  id: string;
  name: string;
  /** DIGITS' type string, e.g. `Image Classification Model`. */
  type: string;
  kind: 'dataset' | 'model';
  status: string;
  /** 0..1 when the server reports it. */
  progress: number | null;
  epoch: number | null;
  trainLoss: number | null;
  valLoss: number | null;
  /** Percent. */
  valAccuracy: number | null;
  /** `GET /<kind>s/<id>.json`: read for models on every update, for datasets once finished. */
  detail: Detail | null;
}

/** Yields updates until the job finishes (the last one yielded is the finished state). */
export type UpdateSource = (client: Client, id: string, options: { intervalMs: number }) => AsyncIterable<JobUpdate>;

/** The newest non-null value of a series. */
function latest(series: Series | undefined): number | null {
  const values = series?.values ?? [];
  for (let i = values.length - 1; i >= 0; i--) {
    const v = values[i];
    if (typeof v === 'number' && Number.isFinite(v)) return v;
  }
  return null;
}

/** The loss series of an outputs map: `loss`, else the first series of a loss layer. */
function lossOf(outputs: Record<string, Series> | undefined): number | null {
  if (!outputs) return null;
  if (outputs.loss) return latest(outputs.loss);
  const entry = Object.entries(outputs).find(([name, s]) => name !== 'epoch' && /Loss/.test(s.kind ?? ''));
  return entry ? latest(entry[1]) : null;
}

/** Reads the job once: the status route, and the detail when asked or when the job is a model. */
export async function readUpdate(client: Client, id: string, alwaysDetail = false): Promise<JobUpdate> {
  const { body } = await client.json<{ error: string | null; status?: string; name?: string; type?: string }>('GET', `/jobs/${encodeURIComponent(id)}/status`);
  // the status route answers 200 even for unknown ids (contract §4.1)
  if (body.error || !body.status) throw new ServerError(`job ${id}: ${body.error ?? 'no status'}`, 404, body);
  const type = body.type ?? '';
  const kind = /Model/i.test(type) ? 'model' : 'dataset';
  const status = body.status;
  const wantDetail = alwaysDetail || kind === 'model' || FINISHED_STATUSES.includes(status);
  const described = wantDetail ? (await client.json<Detail>('GET', `/${kind}s/${encodeURIComponent(id)}.json`)).body : null;
  // a model's measured figures (progress, epoch, series) have their own route; NVIDIA DIGITS has none
  const training = described && kind === 'model' ? await client.json<Detail>('GET', `/models/${encodeURIComponent(id)}/training.json`).then((r) => r.body, (err: unknown) => {
    if (err instanceof ServerError && err.status === 404) return null;
    throw err;
  }) : null;
  const detail = described && training ? { ...described, ...training } : described;
  const accuracy = latest(detail?.val_outputs?.accuracy);
  return {
    id,
    name: body.name ?? '',
    type,
    kind,
    status,
    progress: status === 'Done' ? 1 : typeof detail?.progress === 'number' ? detail.progress : null,
    epoch: typeof detail?.epoch === 'number' ? detail.epoch : null,
    trainLoss: lossOf(detail?.train_outputs),
    valLoss: lossOf(detail?.val_outputs),
    valAccuracy: accuracy === null ? null : accuracy * 100,
    detail,
  };
}

/** Polls every `intervalMs` until the job finishes. */
export const pollUpdates: UpdateSource = async function* (client, id, { intervalMs }) {
  for (;;) {
    const update = await readUpdate(client, id);
    yield update;
    if (FINISHED_STATUSES.includes(update.status)) return;
    await sleep(intervalMs);
  }
};

/**
 * Updates pushed by the server: status and progress from the events, the model's figures (and
 * a finished job's summary) read when they change. A change of status or the first progress
 * figure shows at once; other changes at most once per `intervalMs`.
 */
export const streamUpdates: UpdateSource = async function* (client, id, { intervalMs }) {
  let response: Response;
  try {
    response = await client.request('GET', `/jobs/${encodeURIComponent(id)}/events`);
  } catch (err) {
    // no events route (NVIDIA DIGITS), or no such job: polling says which
    if (err instanceof ServerError && err.status === 404) return yield* pollUpdates(client, id, { intervalMs });
    throw err;
  }
  const body = response.body;
  if (!body || !/^text\/event-stream/.test(response.headers.get('content-type') ?? '')) {
    await body?.cancel();
    return yield* pollUpdates(client, id, { intervalMs });
  }
  try {
    // name, type and (for a model) its figures; the events bring status and progress
    let current: JobUpdate = await readUpdate(client, id);
    if (FINISHED_STATUSES.includes(current.status)) return yield current;
    let shown: JobUpdate | null = null;
    let shownAt = 0;
    let stale = false;
    for await (const message of sseMessages(body as AsyncIterable<Uint8Array>)) {
      if (message.event === 'deleted') throw new ServerError(`job ${id} was deleted`, null);
      const data = JSON.parse(message.data) as { status?: string; progress?: number };
      if (message.event === 'status' && data.status) current = { ...current, status: data.status };
      else if (message.event === 'progress' && typeof data.progress === 'number') current = { ...current, progress: data.progress };
      else if (message.event === 'metrics') stale = true;
      else continue;
      // a dataset's first figure of progress comes right after its first status
      if (current.progress === null && message.event === 'status') continue;
      if (FINISHED_STATUSES.includes(current.status)) return yield await readUpdate(client, id);
      const news = shown === null || shown.status !== current.status || (shown.progress === null && current.progress !== null);
      if (!news && performance.now() - shownAt < intervalMs) continue;
      if (stale) {
        // the model's figures come with its JSON; the event's progress is the newer one
        current = { ...(await readUpdate(client, id)), status: current.status, progress: current.progress };
        stale = false;
      }
      shown = current;
      shownAt = performance.now();
      yield current;
    }
  } finally {
    await body.cancel().catch(() => {});
  }
  // the stream ended before the job did (the gateway restarted): carry on by polling
  yield* pollUpdates(client, id, { intervalMs });
};

/** `mnist [#####-----]  42% Running  epoch 1.25  loss 0.3120  val_loss 0.2011  val_acc 94.10%` */
export function renderUpdate(u: JobUpdate): string {
  const parts = [u.name || u.id];
  if (u.progress !== null) parts.push(progressBar(u.progress));
  parts.push(u.status);
  if (u.epoch !== null && u.kind === 'model') parts.push(`epoch ${epochText(u.epoch)}`);
  if (u.trainLoss !== null) parts.push(`loss ${metric(u.trainLoss)}`);
  if (u.valLoss !== null) parts.push(`val_loss ${metric(u.valLoss)}`);
  if (u.valAccuracy !== null) parts.push(`val_acc ${u.valAccuracy.toFixed(2)}%`);
  return parts.join('  ');
}

/** What a finished job produced: DB sizes for datasets, snapshots for models. */
export function summaryLines(u: JobUpdate): string[] {
  const d = (u.detail ?? {}) as Record<string, unknown>;
  const lines: string[] = [];
  for (const t of (d.ParseFolderTasks ?? []) as { name: string; label_count: number | null }[]) lines.push(`${t.name}: ${t.label_count ?? '?'} labels`);
  for (const t of (d.CreateDbTasks ?? []) as { name: string; entries: number | null }[]) lines.push(`${t.name}: ${t.entries ?? '?'} entries`);
  for (const t of (d.create_db_tasks ?? []) as { name: string; entry_count: number | null }[]) lines.push(`${t.name}: ${t.entry_count ?? '?'} entries`);
  if (Array.isArray(d.feature_dims)) lines.push(`feature dims: ${d.feature_dims.join('x')}`);
  if (Array.isArray(d.snapshots)) lines.push(`snapshots (epochs): ${d.snapshots.join(', ') || 'none'}`);
  if (typeof d['images per second'] === 'number') lines.push(`training speed: ${d['images per second']} images/s`);
  return lines.map((l) => `  ${l}`);
}

/** A finished job's failure, for stderr. */
export function failureText(u: JobUpdate): string {
  const error = u.detail?.error;
  return `job ${u.id} (${u.name}) ended ${u.status}${error ? `: ${error.message} [${error.code}]` : ''}`;
}

/**
 * Follows a job to its end, redrawing one line on a terminal and printing changed lines
 * otherwise. Exit code 0 when Done, 1 when Error or Aborted.
 */
export async function followJob(ctx: Ctx, id: string, options: { intervalMs: number; source?: UpdateSource }): Promise<number> {
  const source = options.source ?? streamUpdates;
  const tty = ctx.io.stdout.isTTY === true && !ctx.json;
  let last = '';
  let final: JobUpdate | null = null;
  for await (const update of source(ctx.client, id, { intervalMs: options.intervalMs })) {
    final = update;
    if (ctx.json) continue;
    const line = renderUpdate(update);
    if (line === last) continue;
    last = line;
    if (tty) ctx.io.stdout.write(`\r\x1b[2K${line}`);
    else ctx.out(line);
  }
  if (tty && last) ctx.io.stdout.write('\n');
  if (!final) throw new ServerError(`job ${id}: no status received`, null);
  if (ctx.json) ctx.out(JSON.stringify(final.detail));
  else for (const line of summaryLines(final)) ctx.out(line);
  if (final.status === 'Done') return 0;
  ctx.err(`error: ${failureText(final)}`);
  return 1;
}
