/**
 * A generic (extension) dataset build (contract §7.2, §7.3, §7.5, §7.6): every stage written into `.build/`,
 * moved into the job folder at the end, the train mean copied to `mean.binaryproto`.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { Errors, type DatasetManifest, type GenericDatasetOptions, type GenericDatasetState } from '@digits-ts/contracts';
import { writeDatasetManifest, type RandomSource } from '@digits-ts/dataset';
import { gradientEntries } from '../extensions/image-gradients.ts';
import { pairEntries, stagePairs } from '../extensions/image-processing.ts';
import { segmentationData, segmentationEntries } from '../extensions/image-segmentation.ts';
import { detectionEntries, LABEL_ROW, readDetectionStage } from '../extensions/image-object-detection.ts';
import { writeGenericStage, type GenericEntry, type GenericStage } from './write-stage.ts';

const STAGES: GenericStage[] = ['train_db', 'val_db', 'test_db'];

export interface GenericBuildContext {
  jobDir: string;
  options: GenericDatasetOptions;
  random: RandomSource;
  signal: AbortSignal;
  /** DATA_ROOTS resolved: the only folders an extension may read images from. */
  roots: readonly string[];
  /** Largest image (width × height) an extension may decode. */
  maxPixels: number;
  onState(state: GenericDatasetState): Promise<void>;
}

type StageEntries = (stage: GenericStage) => Iterable<GenericEntry> | AsyncIterable<GenericEntry>;

/**
 * Each stage's entries, by extension: generated gradients (§7.3), loaded image pairs (§7.5),
 * segmentation pairs (§7.6) or KITTI-labelled images (§7.7).
 */
async function stageEntries(ctx: GenericBuildContext, state: GenericDatasetState): Promise<StageEntries> {
  const options = ctx.options;
  // how the image extensions load their files
  const how = { roots: ctx.roots, maxPixels: ctx.maxPixels, threads: options.threads, signal: ctx.signal };
  if (options.extension === 'image-segmentation') {
    // DIGITS reads the palette at creation; here, before the first stage, so a bad label fails the job
    const data = await segmentationData(options.extensionOptions, how);
    state.extensionData = data;
    const pairs = await stagePairs(options.extensionOptions, ctx.roots);
    return (stage) => segmentationEntries(pairs[stage], options.extensionOptions, data, how);
  }
  if (options.extension === 'image-object-detection') {
    const o = options.extensionOptions;
    return async function* detection(stage) {
      const folders = stage === 'train_db' ? [o.trainImageFolder, o.trainLabelFolder] : stage === 'val_db' ? [o.valImageFolder, o.valLabelFolder] : [null, null];
      if (!folders[0] || !folders[1]) return;
      const read = await readDetectionStage(folders[0], folders[1], ctx.roots, ctx.random);
      // labels are floats: only a raw Datum holds them (§7.7)
      if (read.images.length > 0 && options.labelEncoding !== 'none') throw Errors.DATASET_BUILD_FAILED(`Object detection labels are float arrays; dsopts_label_encoding must be none, not ${options.labelEncoding}`);
      const labelShape = [1, read.maxObjects + 1, LABEL_ROW] as const;
      for await (const entry of detectionEntries(read, o, stage === 'val_db', how)) yield { feature: entry.feature, label: entry.label, labelShape };
    };
  }
  if (options.extension === 'image-processing') {
    const pairs = await stagePairs(options.extensionOptions, ctx.roots);
    return (stage) => pairEntries(pairs[stage], options.extensionOptions.channelConversion, how);
  }
  const { width, height, trainCount, valCount, testCount } = options.extensionOptions;
  const counts: Record<GenericStage, number> = { train_db: trainCount, val_db: valCount, test_db: testCount };
  return function* gradients(stage) {
    for (const entry of gradientEntries(counts[stage], width, height, ctx.random)) yield { feature: { data: entry.feature, height, width, channels: 1 }, label: entry.label };
  };
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
  const state: GenericDatasetState = {
    createDbTasks: STAGES.map((stage) => ({ name: `Create ${stage} DB`, stage, entry_count: null, feature_db_path: null, label_db_path: null })),
    featureDims: null,
  };
  const staging = path.join(ctx.jobDir, '.build');
  await fs.rm(staging, { recursive: true, force: true });
  await fs.mkdir(staging, { recursive: true });
  const entries = await stageEntries(ctx, state);
  const { featureEncoding, labelEncoding, forceSameShape } = ctx.options;
  for (const [i, stage] of STAGES.entries()) {
    const result = await writeGenericStage(staging, stage, entries(stage), { featureEncoding, labelEncoding, forceSameShape, signal: ctx.signal });
    state.createDbTasks[i] = { ...state.createDbTasks[i]!, entry_count: result.entryCount, feature_db_path: result.featureDbPath, label_db_path: result.labelDbPath };
    // feature_dims is the train stage's feature shape, [H, W, C] (§5.3)
    if (stage === 'train_db' && result.featureShape) state.featureDims = [result.featureShape.height, result.featureShape.width, result.featureShape.channels];
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
