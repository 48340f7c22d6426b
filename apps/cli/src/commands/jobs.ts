/** `status`, `follow`, `jobs`, `dataset list` and `model list`: reading job state (contract §4.1, §5.1). */
import { positionals } from '../args.ts';
import { intervalMs, type Command } from '../command.ts';
import type { Ctx } from '../context.ts';
import { table } from '../format.ts';
import { FINISHED_STATUSES, failureText, followJob, readUpdate, renderUpdate, summaryLines } from '../follow.ts';

export const status: Command = {
  usage: 'status JOB_ID',
  summary: "a job's status (GET /jobs/<id>/status), with progress and metrics for models",
  options: {},
  async run(ctx, args) {
    const [id] = positionals(args, ['JOB_ID']);
    if (ctx.json) {
      const { body, raw } = await ctx.client.json<{ error: string | null }>('GET', `/jobs/${encodeURIComponent(id!)}/status`);
      ctx.out(raw);
      return body.error ? 1 : 0;
    }
    const update = await readUpdate(ctx.client, id!);
    ctx.out(`${update.id}  ${update.type}`);
    ctx.out(renderUpdate(update));
    if (FINISHED_STATUSES.includes(update.status)) for (const line of summaryLines(update)) ctx.out(line);
    if (update.status === 'Error' || update.status === 'Aborted') ctx.err(`error: ${failureText(update)}`);
    return 0;
  },
};

export const follow: Command = {
  usage: 'follow JOB_ID [--interval SECONDS]',
  summary: 'follow a dataset or model to its end with a progress bar (for models also epoch, loss, val loss, val accuracy); exit 0 when Done, 1 on Error or Aborted',
  options: { interval: { type: 'string' } },
  run(ctx, args) {
    const [id] = positionals(args, ['JOB_ID']);
    return followJob(ctx, id!, { intervalMs: intervalMs(args) });
  },
};

interface IndexJson {
  datasets: { id: string; name: string; status: string }[];
  models: { id: string; name: string; status: string; dataset_id?: string | null; framework?: string }[];
}

/** `rows` under `header` with trailing blanks trimmed, or `empty` when there are none. */
function printTable(ctx: Ctx, header: string[], rows: string[][], empty: string): void {
  ctx.out(rows.length === 0 ? empty : table([header, ...rows]).replace(/ +$/gm, ''));
}

export const jobs: Command = {
  usage: 'jobs',
  summary: 'every dataset and model, running ones first (GET /index.json)',
  options: {},
  async run(ctx, args) {
    positionals(args, []);
    const { body, raw } = await ctx.client.json<IndexJson>('GET', '/index.json');
    if (ctx.json) {
      ctx.out(raw);
      return 0;
    }
    const rows = [
      ...body.datasets.map((d) => [d.id, 'dataset', d.status, d.name, '']),
      ...body.models.map((m) => [m.id, 'model', m.status, m.name, m.dataset_id ?? '']),
    ];
    printTable(ctx, ['ID', 'KIND', 'STATUS', 'NAME', 'DATASET'], rows, 'no jobs');
    return 0;
  },
};

export const datasetList: Command = {
  usage: 'dataset list',
  summary: 'the datasets, running ones first, with how many models use each (GET /index.json)',
  options: {},
  async run(ctx, args) {
    positionals(args, []);
    const { body } = await ctx.client.json<IndexJson>('GET', '/index.json');
    if (ctx.json) {
      ctx.out(JSON.stringify(body.datasets));
      return 0;
    }
    const uses = (id: string) => body.models.filter((m) => m.dataset_id === id).length;
    printTable(ctx, ['ID', 'STATUS', 'MODELS', 'NAME'], body.datasets.map((d) => [d.id, d.status, String(uses(d.id)), d.name]), 'no datasets');
    return 0;
  },
};

export const modelList: Command = {
  usage: 'model list',
  summary: 'the models, running ones first, with their dataset and framework (GET /index.json)',
  options: {},
  async run(ctx, args) {
    positionals(args, []);
    const { body } = await ctx.client.json<IndexJson>('GET', '/index.json');
    if (ctx.json) {
      ctx.out(JSON.stringify(body.models));
      return 0;
    }
    const datasetName = new Map(body.datasets.map((d) => [d.id, d.name]));
    const rows = body.models.map((m) => [m.id, m.status, m.framework ?? '', m.name, m.dataset_id ? `${m.dataset_id} (${datasetName.get(m.dataset_id) ?? 'deleted'})` : '']);
    printTable(ctx, ['ID', 'STATUS', 'FRAMEWORK', 'NAME', 'DATASET'], rows, 'no models');
    return 0;
  },
};
