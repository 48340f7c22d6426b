/**
 * `analyze-prebuilt-dataset`: a prebuilt-LMDB dataset (contract §7.4). One Analyze-DB task per
 * DB reads its entry count and `<W>x<H>x<C>` shape (every entry's with force_same_shape); the
 * DBs stay where they are, and the manifest points at them.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Job } from 'bullmq';
import { Errors, payloadChecker, PREBUILT_DBS, type AnalyzeDbTask, type DatasetManifest, type PrebuiltDatasetOptions, type ResultOf } from '@digits-ts/contracts';
import { decodeBlobProto, decodeDatum, openDbReader, writeDatasetManifest } from '@digits-ts/dataset';
import { decodeImage } from '@digits-ts/imaging';
import { confinedRealPath } from '../confined-path.ts';
import type { WorkerContext } from '../context.ts';
import { runDatasetBuild } from './job-lifecycle.ts';

export const name = 'analyze-prebuilt-dataset';

interface DbShape { entries: number; height: number; width: number; channels: number }

/** A server path of the form, resolved and checked again here. */
const confined = (ctx: WorkerContext, p: string) => confinedRealPath(p, ctx.roots, () => Errors.DATASET_BUILD_FAILED(`"${p}" does not exist`));

/** Shape of one Datum: its own fields when raw, the image's when encoded. */
async function datumShape(value: Buffer, maxPixels: number): Promise<[number, number, number]> {
  const datum = decodeDatum(value);
  if (!datum.encoded) return [datum.height, datum.width, datum.channels];
  const image = await decodeImage(Buffer.from(datum.data), { maxPixels });
  return [image.height, image.width, image.channels];
}

async function analyzeDb(dir: string, sameShape: boolean, maxPixels: number, signal: AbortSignal): Promise<DbShape> {
  const reader = openDbReader(dir);
  try {
    const entries = reader.count();
    let shape: [number, number, number] | null = null;
    for (const entry of reader.entries(sameShape ? {} : { limit: 1 })) {
      const next = await datumShape(entry.value, maxPixels);
      if (shape && next.join('x') !== shape.join('x')) throw Errors.DATASET_BUILD_FAILED(`entry ${entry.key} of ${dir} is ${next.join('x')} but the first is ${shape.join('x')} (force_same_shape)`);
      shape ??= next;
      signal.throwIfAborted();
    }
    if (!shape) throw Errors.DATASET_BUILD_FAILED(`${dir} holds no entries`);
    return { entries, height: shape[0], width: shape[1], channels: shape[2] };
  } finally {
    reader.close();
  }
}

/** The mean file, checked against the images' shape, copied to the job folder as DIGITS names it. */
async function copyMean(file: string, shape: DbShape, jobDir: string): Promise<void> {
  const bytes = await fs.readFile(file);
  let blob;
  try {
    blob = decodeBlobProto(bytes);
  } catch (err) {
    throw Errors.DATASET_BUILD_FAILED(`${file} is not a Caffe BlobProto mean file`, { cause: err });
  }
  if (blob.channels !== shape.channels || blob.height !== shape.height || blob.width !== shape.width) {
    throw Errors.DATASET_BUILD_FAILED(`the mean file is ${blob.width}x${blob.height}x${blob.channels} but the images are ${shape.width}x${shape.height}x${shape.channels}`);
  }
  await fs.writeFile(path.join(jobDir, 'mean.binaryproto'), bytes);
}

export function createAnalyzePrebuiltDatasetProcessor(ctx: WorkerContext) {
  return async function process(job: Job, token?: string): Promise<ResultOf<'analyze-prebuilt-dataset'>> {
    const { jobId, options } = payloadChecker('analyze-prebuilt-dataset').parse(job.data, 'analyze-prebuilt-dataset payload');
    return runDatasetBuild(ctx, job, token, jobId, 'prebuilt dataset analysis', async ({ log, signal }) => {
      const given = PREBUILT_DBS.filter((db) => options[db.key] !== null);
      const tasks: AnalyzeDbTask[] = given.map((db) => ({ name: db.task, path: options[db.key]!, entries: null, shape: null }));
      const shapes: Partial<Record<keyof PrebuiltDatasetOptions, DbShape & { real: string }>> = {};
      for (const [i, db] of given.entries()) {
        const real = await confined(ctx, options[db.key]!);
        // label DBs hold vectors of any shape; only images must agree with each other
        const shape = await analyzeDb(real, options.forceSameShape && db.key.endsWith('Images'), ctx.config.imageMaxPixels, signal);
        shapes[db.key] = { ...shape, real };
        tasks[i] = { ...tasks[i]!, entries: shape.entries, shape: `${shape.width}x${shape.height}x${shape.channels}` };
        await ctx.store.update(jobId, (r) => ({ ...r, analyzeDbTasks: tasks, progress: (i + 1) / given.length }));
      }
      const train = shapes.trainImages!;
      for (const pair of [['trainImages', 'trainLabels'], ['valImages', 'valLabels']] as const) {
        const [images, labels] = [shapes[pair[0]], shapes[pair[1]]];
        if (images && labels && images.entries !== labels.entries) throw Errors.DATASET_BUILD_FAILED(`${options[pair[0]]} has ${images.entries} entries but its labels ${labels.entries}`);
      }
      const val = shapes.valImages;
      if (val && (val.height !== train.height || val.width !== train.width || val.channels !== train.channels)) throw Errors.DATASET_BUILD_FAILED('the val images differ in shape from the train images');
      if (train.channels !== 1 && train.channels !== 3) throw Errors.DATASET_BUILD_FAILED(`images have ${train.channels} channels; 1 or 3 are supported`);
      const jobDir = ctx.store.jobDir(jobId);
      if (options.meanFile) await copyMean(await confined(ctx, options.meanFile), train, jobDir);
      const manifest: DatasetManifest = {
        format: 1, kind: 'generic', labels: [],
        stages: {
          train: { db: train.real, labelDb: shapes.trainLabels?.real ?? null, entries: train.entries },
          ...(val ? { val: { db: val.real, labelDb: shapes.valLabels?.real ?? null, entries: val.entries } } : {}),
        },
        imageDims: [train.height, train.width, train.channels],
        mean: options.meanFile ? 'mean.binaryproto' : null,
        resizeMode: 'squash',
      };
      await writeDatasetManifest(jobDir, manifest);
      log.info({ tasks }, 'prebuilt dataset analysed');
      return { tasks };
    });
  };
}
