/**
 * Builds an image-classification dataset into a job folder: stage lists, one LMDB per stage
 * (built in `.build/`, moved into place at the end), the mean files, and a manifest written last.
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { type CreateDbTask, type DatasetBuildOptions, type DatasetManifest, type DatasetState, type ParseFolderTask } from '@digits-ts/contracts';
import { MeanAccumulator, shuffleInPlace, writeDatasetManifest, type RandomSource } from '@digits-ts/dataset';
import { encodeImage } from '@digits-ts/imaging';
import type { ImagePool } from './image-pool.ts';
import { buildStageLists, STAGES, type Stage } from './lists.ts';
import { writeStageDb } from './write-db.ts';

/** How many skipped images the job JSON (and each stage's log) lists by name. */
const SKIPPED_LISTED = 100;

export interface BuildContext {
  jobDir: string;
  options: DatasetBuildOptions;
  pool: ImagePool;
  maxPixels: number;
  /** DATA_ROOTS, as configured and as resolved through symlinks. */
  roots: string[];
  random: RandomSource;
  signal: AbortSignal;
  /** Reports the state so far (tasks, counts), at each milestone. */
  onState(state: DatasetState): Promise<void>;
  /** Reports overall progress in 0..1, often; the caller throttles. */
  onProgress(fraction: number): void;
}

function createDbTask(stage: Stage, o: DatasetBuildOptions): CreateDbTask {
  return { name: `Create DB (${stage})`, stage, status: 'W', entries: null, image_dims: [o.height, o.width, o.channels], backend: o.backend, encoding: o.encoding, compression: o.compression, skipped: 0 };
}

function openLog(file: string): { line(text: string): void; close(): Promise<void> } {
  const stream: WriteStream = createWriteStream(file, { flags: 'a' });
  return {
    line: (text) => { stream.write(`${new Date().toISOString()} ${text}\n`); },
    close: () => new Promise((resolve) => stream.end(resolve)),
  };
}

/** Writes the train mean as DIGITS does: mean.binaryproto (C×H×W, BGR) and mean.jpg. */
async function writeMean(dir: string, o: DatasetBuildOptions, sum: Float64Array, count: number): Promise<void> {
  const mean = new MeanAccumulator(o.width, o.height, o.channels);
  mean.addSum(sum, count);
  await fs.writeFile(path.join(dir, 'mean.binaryproto'), mean.toBlobProto());
  await fs.writeFile(path.join(dir, 'mean.jpg'), await encodeImage({ data: Buffer.from(mean.mean()), width: o.width, height: o.height, channels: o.channels }, 'jpg'));
}

/** Runs the whole build. Throws AppErrors (JOB_ABORTED on abort) and leaves no half dataset. */
export async function buildDataset(ctx: BuildContext): Promise<DatasetState> {
  const { jobDir, options } = ctx;
  const lists = await buildStageLists(jobDir, options, ctx.roots, ctx.random);
  const stages = STAGES.filter((s) => lists.lists[s].length > 0);
  const state: DatasetState = {
    parseFolderTasks: lists.parseFolderTasks as ParseFolderTask[],
    createDbTasks: stages.map((s) => createDbTask(s, options)),
    labelCount: lists.labels.length,
    skippedCount: lists.refused.length,
    skipped: lists.refused.slice(0, SKIPPED_LISTED),
    imagesPerSecond: null,
  };
  await ctx.onState(state);

  const staging = path.join(jobDir, '.build');
  await fs.rm(staging, { recursive: true, force: true });
  await fs.mkdir(staging);
  try {
    await buildStages(ctx, staging, stages, lists, state);
  } catch (err) {
    // nothing was published; don't leave the half-built databases filling the disk
    await fs.rm(staging, { recursive: true, force: true }).catch(() => undefined);
    throw err;
  }
  await publish(staging, jobDir, stages, lists.labels, state);
  return state;
}

/** Writes each stage's database (and the mean) into `staging`, updating `state` as it goes. */
async function buildStages(ctx: BuildContext, staging: string, stages: Stage[], lists: Awaited<ReturnType<typeof buildStageLists>>, state: DatasetState): Promise<void> {
  const { jobDir, options } = ctx;
  const total = stages.reduce((n, s) => n + lists.lists[s].length, 0);
  let before = 0;
  const started = performance.now();
  let written = 0;
  for (const [i, stage] of stages.entries()) {
    const lines = lists.lists[stage];
    if (options.method === 'folder' || options.textfile?.shuffle) shuffleInPlace(lines, ctx.random);
    const log = openLog(path.join(jobDir, `create_${stage}_db.log`));
    try {
      const counts = new Map<number, number>();
      for (const l of lines) counts.set(l.label, (counts.get(l.label) ?? 0) + 1);
      for (const [label, n] of [...counts].sort((a, b) => a[0] - b[0])) log.line(`Category ${label} has ${n} images.`);
      const task = state.createDbTasks[i]!;
      task.status = 'R';
      await ctx.onState(state);
      const result = await writeStageDb({
        dir: path.join(staging, `${stage}_db`), lines, options, pool: ctx.pool, maxPixels: ctx.maxPixels,
        withSum: stage === 'train', confineTo: options.method === 'textfile' ? ctx.roots : null, signal: ctx.signal,
        keepFailures: SKIPPED_LISTED, onProgress: (done) => ctx.onProgress((before + done) / total),
      });
      for (const f of result.failures) log.line(`WARNING: skipped ${f.source}: [${f.code}] ${f.message}`);
      log.line(`Database created: ${result.entries} images written, ${result.skipped} skipped (${result.reused} stored as they were).`);
      Object.assign(task, { status: 'D', entries: result.entries, skipped: result.skipped });
      state.skippedCount += result.skipped;
      state.skipped.push(...result.failures.slice(0, SKIPPED_LISTED - state.skipped.length));
      written += result.entries;
      if (stage === 'train' && result.sum) await writeMean(staging, options, result.sum, result.entries);
    } finally {
      await log.close();
    }
    before += lines.length;
    state.imagesPerSecond = Math.round(written / ((performance.now() - started) / 1000));
    await ctx.onState(state);
  }
}

/** Moves the built files into the job folder; the manifest goes last, so readers never see half. */
async function publish(staging: string, jobDir: string, stages: Stage[], labels: string[], state: DatasetState): Promise<void> {
  for (const name of await fs.readdir(staging)) await fs.rename(path.join(staging, name), path.join(jobDir, name));
  await fs.rmdir(staging);
  const manifest: DatasetManifest = {
    format: 1,
    kind: 'classification',
    labels,
    stages: Object.fromEntries(stages.map((s, i) => [s, { db: `${s}_db`, entries: state.createDbTasks[i]!.entries }])),
    imageDims: (state.createDbTasks[0]?.image_dims as DatasetManifest['imageDims'] | undefined) ?? null,
    mean: stages.includes('train') ? 'mean.binaryproto' : null,
  };
  await writeDatasetManifest(jobDir, manifest);
}
