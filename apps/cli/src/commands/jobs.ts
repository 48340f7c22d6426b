/** `status`, `follow` and `jobs`: reading job state (contract §4.1, §5.1). */
import { positionals } from '../args.ts';
import { intervalMs, type Command } from '../command.ts';
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
  summary: 'follow a job to its end with a progress bar (epoch, loss, val loss, val accuracy); exit 0 when Done, 1 on Error or Aborted',
  options: { interval: { type: 'string' } },
  run(ctx, args) {
    const [id] = positionals(args, ['JOB_ID']);
    return followJob(ctx, id!, { intervalMs: intervalMs(args) });
  },
};

interface IndexJson {
  datasets: { id: string; name: string; status: string }[];
  models: { id: string; name: string; status: string; dataset_id?: string | null }[];
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
    if (rows.length === 0) {
      ctx.out('no jobs');
      return 0;
    }
    ctx.out(table([['ID', 'KIND', 'STATUS', 'NAME', 'DATASET'], ...rows]).replace(/ +$/gm, ''));
    return 0;
  },
};
