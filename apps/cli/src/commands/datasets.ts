/** `dataset create` (contract §6.1) and `dataset create-gradients` (§7.2–7.3). */
import path from 'node:path';
import { positionals, requireOption, stringOption, UsageError, type CommandArgs } from '../args.ts';
import { buildForm, createdLines, intervalMs, type Command } from '../command.ts';
import type { Ctx } from '../context.ts';
import { followJob } from '../follow.ts';

/** Server folder and list fields: a relative path on the command line is made absolute from here. */
const SERVER_PATH_FIELDS = new Set([
  'folder_train', 'folder_val', 'folder_test',
  'textfile_train_folder', 'textfile_val_folder', 'textfile_test_folder',
  'textfile_local_train_images', 'textfile_local_val_images', 'textfile_local_test_images', 'textfile_local_labels_file',
]);

function absolute(cwd: string, value: string): string {
  return value === '' || path.isAbsolute(value) || /^[a-z]+:\/\//i.test(value) ? value : path.resolve(cwd, value);
}

/** POSTs a dataset form, prints the new job, and follows it with `--follow`. */
async function createDataset(ctx: Ctx, args: CommandArgs, route: string, base: Record<string, string | undefined>): Promise<number> {
  positionals(args, []);
  const fields = args.fields.map(([name, value]): [string, string] => [name, SERVER_PATH_FIELDS.has(name) ? absolute(ctx.io.cwd, value) : value]);
  const form = await buildForm(ctx.io.cwd, base, fields);
  const { body, raw } = await ctx.client.json('POST', route, { form });
  const { ids, lines } = createdLines(body);
  if (ctx.json) ctx.out(raw);
  else for (const line of lines) ctx.out(line);
  return args.options.follow ? followJob(ctx, ids[0]!, { intervalMs: intervalMs(args) }) : 0;
}

const FOLLOW_OPTIONS = { follow: { type: 'boolean' }, interval: { type: 'string' } } as const;

export const datasetCreate: Command = {
  usage: 'dataset create --name N --folder-train DIR [--resize-width 28 --resize-height 28 --resize-channels 1 …] [--follow]',
  summary: 'create an image classification dataset (POST /datasets/images/classification.json); any §6.1 field as --field-name value',
  options: { name: { type: 'string' }, 'folder-train': { type: 'string' }, ...FOLLOW_OPTIONS },
  fields: true,
  run(ctx, args) {
    const method = args.fields.find(([f]) => f === 'method')?.[1] ?? 'folder';
    const folder = stringOption(args, 'folder-train');
    if (method === 'folder' && !folder) throw new UsageError('--folder-train is required (a folder on the server with one sub-folder per label)');
    return createDataset(ctx, args, '/datasets/images/classification.json', {
      dataset_name: requireOption(args, 'name'),
      folder_train: folder === undefined ? undefined : absolute(ctx.io.cwd, folder),
    });
  },
};

export const datasetCreateGradients: Command = {
  usage: 'dataset create-gradients --name N [--train 1000 --val 250 --test 0 --width 32 --height 32] [--follow]',
  summary: 'create an image-gradients regression dataset (POST /datasets/generic/create/image-gradients.json)',
  options: { name: { type: 'string' }, train: { type: 'string' }, val: { type: 'string' }, test: { type: 'string' }, width: { type: 'string' }, height: { type: 'string' }, ...FOLLOW_OPTIONS },
  fields: true,
  run(ctx, args) {
    return createDataset(ctx, args, '/datasets/generic/create/image-gradients.json', {
      dataset_name: requireOption(args, 'name'),
      train_image_count: stringOption(args, 'train'),
      val_image_count: stringOption(args, 'val'),
      test_image_count: stringOption(args, 'test'),
      image_width: stringOption(args, 'width'),
      image_height: stringOption(args, 'height'),
    });
  },
};
