/**
 * A generic (extension) dataset build (contract §7.2): every stage written into `.build/`,
 * moved into the job folder at the end, the train mean copied to `mean.binaryproto`.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import type { DatasetManifest, GenericDatasetOptions, GenericDatasetState } from '@digits-ts/contracts';
import { writeDatasetManifest, type RandomSource } from '@digits-ts/dataset';
import { gradientEntries } from '../extensions/image-gradients.ts';
import { writeGenericStage, type GenericStage } from './write-stage.ts';

const STAGES: GenericStage[] = ['train_db', 'val_db', 'test_db'];

export interface GenericBuildContext {
  jobDir: string;
  options: GenericDatasetOptions;
  random: RandomSource;
  signal: AbortSignal;
  onState(state: GenericDatasetState): Promise<void>;
}

/** Entries per stage from the extension's options (image-gradients is the one extension). */
function stageCounts(options: GenericDatasetOptions): Record<GenericStage, number> {
  const o = options.extensionOptions;
  return { train_db: o.trainCount, val_db: o.valCount, test_db: o.testCount };
}

/** What training and inference read: the stages that produced entries, with their DBs. */
function manifestOf(state: GenericDatasetState, hasMean: boolean): DatasetManifest {
  const stages: DatasetManifest['stages'] = {};
  for (const task of state.createDbTasks) {
    if (!task.feature_db_path) continue;
    const name = task.stage.replace(/_db$/, '') as keyof DatasetManifest['stages'];
    stages[name] = { db: task.feature_db_path, labelDb: task.label_db_path, entries: task.entry_count };
  }
  const dims = state.featureDims;
  return {
    format: 1, kind: 'generic', labels: [], stages,
    imageDims: dims ? [dims[0]!, dims[1]!, dims[2]!] : null,
    mean: hasMean ? 'mean.binaryproto' : null,
    resizeMode: 'squash',
  };
}

export async function buildGenericDataset(ctx: GenericBuildContext): Promise<GenericDatasetState> {
  const { width, height } = ctx.options.extensionOptions;
  const counts = stageCounts(ctx.options);
  const state: GenericDatasetState = {
    createDbTasks: STAGES.map((stage) => ({ name: `Create ${stage} DB`, stage, entry_count: null, feature_db_path: null, label_db_path: null })),
    featureDims: null,
  };
  const staging = path.join(ctx.jobDir, '.build');
  await fs.rm(staging, { recursive: true, force: true });
  await fs.mkdir(staging, { recursive: true });
  for (const [i, stage] of STAGES.entries()) {
    const entries = gradientEntries(counts[stage], width, height, ctx.random);
    const result = await writeGenericStage(staging, stage, entries, { height, width, channels: 1 }, { encoding: ctx.options.featureEncoding, forceSameShape: ctx.options.forceSameShape, signal: ctx.signal });
    state.createDbTasks[i] = { ...state.createDbTasks[i]!, entry_count: result.entryCount, feature_db_path: result.featureDbPath, label_db_path: result.labelDbPath };
    if (stage === 'train_db') state.featureDims = [height, width, 1];
    await ctx.onState(state);
  }
  for (const name of await fs.readdir(staging)) await fs.rename(path.join(staging, name), path.join(ctx.jobDir, name));
  await fs.rmdir(staging);
  const trainMean = path.join(ctx.jobDir, 'train_db', 'mean.binaryproto');
  const hasMean = (await fs.stat(trainMean).catch(() => null)) !== null;
  if (hasMean) await fs.copyFile(trainMean, path.join(ctx.jobDir, 'mean.binaryproto'));
  await writeDatasetManifest(ctx.jobDir, manifestOf(state, hasMean));
  return state;
}
