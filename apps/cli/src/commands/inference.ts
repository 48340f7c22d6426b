/** `classify` and `infer` (contract §10), and `download` (§11.4). */
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { positionals, stringOption, UsageError } from '../args.ts';
import { lineErrors, ServerError, type FieldValue } from '../client.ts';
import { fileField, type Command } from '../command.ts';
import type { Ctx } from '../context.ts';

type Prediction = [string, number];

/** `image  label  confidence%`, and the runners-up with `--top K`. */
function printPredictions(ctx: Ctx, image: string, predictions: Prediction[], top: number): void {
  if (predictions.length === 0) {
    ctx.out(`${image}  (no prediction)`);
    return;
  }
  predictions.slice(0, top).forEach(([label, pct], i) => ctx.out(`${i === 0 ? image : ' '.repeat(image.length)}  ${label}  ${pct.toFixed(2)}%`));
}

function topOption(text: string | undefined): number {
  if (text === undefined) return 1;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`--top must be a positive integer, got ${text}`);
  return n;
}

/** Several images go as a list of paths the server reads itself; this says what to do when it may not. */
const UPLOAD_HINT = '  hint: the server reads only paths inside its DATA_ROOTS; add --upload to send the images from here instead';

/** classify_one with an upload. */
async function classifyOne(ctx: Ctx, id: string, image: string, epoch: string | undefined): Promise<{ raw: string; predictions: Prediction[] }> {
  const form: [string, FieldValue][] = [['job_id', id], ['image_file', await fileField(ctx.io.cwd, image)]];
  if (epoch !== undefined) form.push(['snapshot_epoch', epoch]);
  const { body, raw } = await ctx.client.json<{ predictions: Prediction[] }>('POST', '/models/images/classification/classify_one.json', { form });
  return { raw, predictions: body.predictions };
}

export const classify: Command = {
  usage: 'classify MODEL_ID IMAGE… [--epoch N] [--top K] [--upload]',
  summary: 'classify images: one is uploaded (classify_one); several go as a list of their paths (classify_many), which the server must be able to read, unless --upload sends each',
  options: { epoch: { type: 'string' }, top: { type: 'string' }, upload: { type: 'boolean' } },
  async run(ctx, args) {
    const [id, ...images] = positionals(args, ['MODEL_ID', 'IMAGE'], true);
    const epoch = stringOption(args, 'epoch');
    const top = topOption(stringOption(args, 'top'));
    if (images.length === 1 || args.options.upload) {
      for (const image of images) {
        const { raw, predictions } = await classifyOne(ctx, id!, image, epoch);
        if (ctx.json) ctx.out(raw);
        else printPredictions(ctx, image, predictions, top);
      }
      return 0;
    }
    // classify_many reads server paths: the list names each image by its absolute path
    const paths = images.map((image) => path.resolve(ctx.io.cwd, image));
    const form: [string, FieldValue][] = [['job_id', id!], ['image_list', { filename: 'images.txt', data: Buffer.from(`${paths.join('\n')}\n`) }]];
    if (epoch !== undefined) form.push(['snapshot_epoch', epoch]);
    const answer = await ctx.client.json<{ classifications: Record<string, Prediction[]>; errors?: Record<string, { code: string; message: string }> }>('POST', '/models/images/classification/classify_many.json', { form })
      .catch((err: unknown) => {
        // no image could be classified: the per-line reasons are in the message; say what helps
        if (err instanceof ServerError && lineErrors(err.body).some(([, e]) => e.code === 'PATH_NOT_ALLOWED')) throw new ServerError(`${err.message}\n${UPLOAD_HINT}`, err.status, err.body);
        throw err;
      });
    const { body, raw } = answer;
    if (ctx.json) {
      ctx.out(raw);
      return 0;
    }
    images.forEach((image, i) => {
      const predictions = body.classifications[paths[i]!];
      if (predictions) printPredictions(ctx, image, predictions, top);
    });
    const errors = Object.entries(body.errors ?? {});
    for (const [image, error] of errors) ctx.err(`warning: ${image}: ${error.message} [${error.code}]`);
    if (errors.some(([, e]) => e.code === 'PATH_NOT_ALLOWED')) ctx.err(UPLOAD_HINT);
    return 0;
  },
};

export const infer: Command = {
  usage: 'infer MODEL_ID IMAGE [--epoch N] [--dont-resize]',
  summary: "run a generic model on one uploaded image (infer_one) and print every output",
  options: { epoch: { type: 'string' }, 'dont-resize': { type: 'boolean' } },
  async run(ctx, args) {
    const [id, image] = positionals(args, ['MODEL_ID', 'IMAGE']);
    const form: [string, FieldValue][] = [['job_id', id!], ['image_file', await fileField(ctx.io.cwd, image!)]];
    const epoch = stringOption(args, 'epoch');
    if (epoch !== undefined) form.push(['snapshot_epoch', epoch]);
    if (args.options['dont-resize']) form.push(['dont_resize', '1']);
    const { body, raw } = await ctx.client.json<{ outputs: Record<string, unknown> }>('POST', '/models/images/generic/infer_one.json', { form });
    if (ctx.json) ctx.out(raw);
    else for (const [name, value] of Object.entries(body.outputs)) ctx.out(`${name}: ${JSON.stringify(value)}`);
    return 0;
  },
};

const FORMATS = ['tar.gz', 'tgz', 'zip', 'tar'];

/** The file name the server offers in Content-Disposition, without any directory part. */
function offeredName(disposition: string | null): string | null {
  const match = /filename="?([^";]+)"?/.exec(disposition ?? '');
  return match ? path.basename(match[1]!) : null;
}

export const download: Command = {
  usage: 'download MODEL_ID [--epoch N] [--format tar.gz|zip|tar] [-o FILE]',
  summary: 'download a trained model (GET /models/<id>/download.<format>)',
  options: { epoch: { type: 'string' }, format: { type: 'string' }, output: { type: 'string', short: 'o' } },
  async run(ctx, args) {
    const [id] = positionals(args, ['MODEL_ID']);
    const format = stringOption(args, 'format') ?? 'tar.gz';
    if (!FORMATS.includes(format)) throw new UsageError(`--format must be one of ${FORMATS.join(', ')}, got ${format}`);
    const chosen = stringOption(args, 'output');
    let output = chosen === undefined ? null : path.resolve(ctx.io.cwd, chosen);
    // create -o first: a file that cannot be written is found before anything is downloaded
    if (output !== null) await (await fsp.open(output, 'w')).close();
    try {
      const res = await ctx.client.request('GET', `/models/${encodeURIComponent(id!)}/download.${format}`, { query: { epoch: stringOption(args, 'epoch') } });
      if (!res.body) throw new ServerError('the server sent no archive', res.status);
      output ??= path.resolve(ctx.io.cwd, offeredName(res.headers.get('content-disposition')) ?? `${id}.${format}`);
      await pipeline(Readable.fromWeb(res.body as WebReadableStream<Uint8Array>), fs.createWriteStream(output));
    } catch (err) {
      // no empty or half-written archive is left behind
      if (output !== null) await fsp.rm(output, { force: true });
      throw err;
    }
    const bytes = (await fsp.stat(output)).size;
    if (ctx.json) ctx.out(JSON.stringify({ file: output, bytes }));
    else ctx.out(`saved ${output} (${bytes} bytes)`);
    return 0;
  },
};
