/** `model create` (contract §8.1): a standard network or a custom one from a file. */
import fs from 'node:fs/promises';
import path from 'node:path';
import { positionals, requireOption, stringOption, UsageError } from '../args.ts';
import { buildForm, createdLines, intervalMs, type Command } from '../command.ts';
import { followJob } from '../follow.ts';

export const modelCreate: Command = {
  usage: 'model create --name N --dataset ID (--network lenet | --custom FILE) [--generic] [--epochs 30] [--framework tensorflow] [--follow]',
  summary: 'create a model (POST /models/images/classification.json, or /models/images/generic.json with --generic); any §8.1 field as --field-name value',
  options: {
    name: { type: 'string' },
    dataset: { type: 'string' },
    network: { type: 'string' },
    custom: { type: 'string' },
    generic: { type: 'boolean' },
    epochs: { type: 'string' },
    framework: { type: 'string' },
    follow: { type: 'boolean' },
    interval: { type: 'string' },
  },
  fields: true,
  async run(ctx, args) {
    positionals(args, []);
    const name = requireOption(args, 'name');
    const dataset = requireOption(args, 'dataset');
    const network = stringOption(args, 'network');
    const custom = stringOption(args, 'custom');
    const method = args.fields.find(([f]) => f === 'method')?.[1];
    if (network && custom) throw new UsageError('give --network or --custom, not both');
    if (!network && !custom && (method === undefined || method === 'standard' || method === 'custom')) {
      throw new UsageError('--network NAME (lenet, alexnet, googlenet) or --custom FILE is required');
    }
    let customText: string | undefined;
    if (custom) {
      customText = await fs.readFile(path.resolve(ctx.io.cwd, custom), 'utf8').catch((err: NodeJS.ErrnoException) => {
        throw new UsageError(`cannot read ${custom}: ${err.code ?? err.message}`);
      });
    }
    const form = await buildForm(ctx.io.cwd, {
      model_name: name,
      dataset,
      // DIGITS needs the hidden framework field on every create (§1.4)
      framework: stringOption(args, 'framework') ?? 'tensorflow',
      method: custom ? 'custom' : network ? 'standard' : undefined,
      standard_networks: network,
      custom_network: customText,
      train_epochs: stringOption(args, 'epochs'),
      // the web form's default; an omitted boolean would mean false (§1.4); --shuffle false turns it off
      shuffle: 'true',
    }, args.fields);
    const route = args.options.generic ? '/models/images/generic.json' : '/models/images/classification.json';
    const { body, raw } = await ctx.client.json('POST', route, { form });
    const { ids, lines } = createdLines(body);
    if (ctx.json) ctx.out(raw);
    else for (const line of lines) ctx.out(line);
    if (!args.options.follow) return 0;
    let code = 0;
    for (const id of ids) code = Math.max(code, await followJob(ctx, id, { intervalMs: intervalMs(args) }));
    return code;
  },
};
