/**
 * DIGITS' JSON shapes of jobs (contract §5: base dicts, dataset and model dicts, the index order)
 * built from job records, and their TypeBox schemas, which the routes answer with (Fastify
 * serializes by them). The schemas name the keys every answer opens with, in the order built
 * here, and leave the rest open: DIGITS' dicts carry keys by kind and state, none to be dropped.
 */
import path from 'node:path';
import { Type } from 'typebox';
import { isRunningStatus, JOB_TYPES, Outputs, statusName, type JobRecord, type PretrainedParams, type TrainModelOptions } from '@digits-ts/contracts';

/** `{id, name, status}`. */
export const BaseDictSchema = Type.Object({ id: Type.String(), name: Type.String(), status: Type.String() });
/** A detailed dataset dict: the base keys and `directory`, then its kind's own. */
export const DatasetDetailSchema = Type.Object({ id: Type.String(), name: Type.String(), status: Type.String(), directory: Type.String() }, { additionalProperties: true });
/** A model dict: the base keys and its creation facts, then the rest (§5.4); the detailed one adds more. */
export const ModelDictSchema = Type.Object({
  id: Type.String(), name: Type.String(), status: Type.String(), dataset_id: Type.Union([Type.String(), Type.Null()]), 'job id': Type.String(), 'creation time': Type.String(), username: Type.String(),
}, { additionalProperties: true });
/** `GET /index.json` (§5.1). */
export const IndexSchema = Type.Object({ version: Type.String(), jobs_dir: Type.String(), server_name: Type.Optional(Type.String()), datasets: Type.Array(BaseDictSchema), models: Type.Array(ModelDictSchema) });

/** DIGITS' version string, which clients may check. */
export const DIGITS_VERSION = '6.1.1';

/** `{id, name, status}` — every job's base dict. */
export function baseDict(record: JobRecord) {
  return { id: record.id, name: record.name, status: statusName(record.status) };
}

/** Local time as `YYYY-MM-DD HH:MM:SS.ffffff`, DIGITS' `creation time`. */
function creationTime(unixSeconds: number): string {
  const d = new Date(unixSeconds * 1000);
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds() * 1000, 6)}`;
}

/** Detailed generic dataset dict (§5.3): its three create-DB tasks, the feature shape and any extension data. */
function genericDatasetDetail(record: JobRecord, jobsDir: string) {
  return {
    ...baseDict(record),
    directory: path.join(jobsDir, record.id),
    create_db_tasks: record.generic?.createDbTasks ?? [],
    feature_dims: record.generic?.featureDims ?? null,
    // ours: a segmentation dataset's palette and class labels (§7.6's extension data, seed aside)
    ...(record.generic?.extensionData ? { extension_data: record.generic.extensionData } : {}),
    ...(record.error ? { error: record.error } : {}),
  };
}

/** Prebuilt-LMDB dataset (§5.3: DIGITS shows the base keys only); ours adds what its Analyze-DB tasks found. */
function prebuiltDatasetDetail(record: JobRecord, jobsDir: string) {
  return {
    ...baseDict(record),
    directory: path.join(jobsDir, record.id),
    analyze_db_tasks: record.analyzeDbTasks ?? [],
    ...(record.error ? { error: record.error } : {}),
  };
}

/** Detailed dataset dict (§5.3): tasks and directory, for `GET /datasets/<id>.json`. */
export function datasetDetail(record: JobRecord, jobsDir: string) {
  if (record.type === JOB_TYPES.genericDataset) return genericDatasetDetail(record, jobsDir);
  if (record.type === JOB_TYPES.genericImageDataset) return prebuiltDatasetDetail(record, jobsDir);
  const state = record.dataset;
  return {
    ...baseDict(record),
    directory: path.join(jobsDir, record.id),
    ParseFolderTasks: state?.parseFolderTasks ?? [],
    CreateDbTasks: (state?.createDbTasks ?? []).map((task) => ({
      name: task.name,
      entries: task.entries,
      // DIGITS' quirk, kept on purpose: image_width holds dims[0] (the height) and vice versa
      image_width: task.image_dims[0] ?? null,
      image_height: task.image_dims[1] ?? null,
      image_channels: task.image_dims[2] ?? null,
      backend: task.backend,
      encoding: task.encoding,
      compression: task.compression,
    })),
    // ours, not DIGITS': what could not be read, and why the job failed
    skipped_images: { count: state?.skippedCount ?? 0, items: state?.skipped ?? [] },
    ...(record.error ? { error: record.error } : {}),
  };
}

/** What a model's JSON says about its snapshots: the newest one's folder, or DIGITS' literal. */
function snapshotFile(record: JobRecord): string {
  const snapshots = record.model?.snapshots ?? [];
  return snapshots.length > 0 ? snapshots[snapshots.length - 1]!.dir : 'no snapshots';
}

/**
 * The engine that really ran, e.g. `TensorFlow.js (wasm backend)` or `TensorFlow.js (tensorflow
 * backend, TensorFlow 2.21.0)`, and its GPU; nothing before training starts.
 */
function engineOf(record: JobRecord): Record<string, unknown> {
  const engine = record.model?.engine;
  if (!engine) return {};
  const gpu = engine.adapter ? { gpu: `${engine.adapter.device} (${engine.adapter.description})`, 'tfjs adapter': engine.adapter } : {};
  const tensorflow = engine.tensorflow ? { 'tensorflow version': engine.tensorflow } : {};
  const library = engine.tensorflow ? `, TensorFlow ${engine.tensorflow}` : '';
  // the GPUs that shared the batches (several: data-parallel), each with its device
  const gpus = record.model?.gpus?.length ? { gpus: record.model.gpus } : {};
  return { engine: `TensorFlow.js (${engine.name} backend${library})`, 'tfjs backend': engine.name, 'tfjs backend package': engine.package, 'tfjs version': engine.version, ...tensorflow, ...gpu, ...gpus };
}

/**
 * Model dict, non-detailed (§5.4, TensorFlow variant): base keys, dataset and creation facts,
 * and the task statistics of the newest snapshot. `dataset` is the model's dataset record.
 */
/** A dataset's feature dims `[H, W, C]`, whichever kind it is (§5.4 `image dimensions`). */
export function datasetDims(dataset: JobRecord | null): number[] | null {
  if (!dataset) return null;
  if (dataset.generic) return dataset.generic.featureDims;
  const analyzed = dataset.analyzeDbTasks?.[0]?.shape;
  if (analyzed) {
    const [w, h, c] = analyzed.split('x').map(Number);
    return [h!, w!, c!];
  }
  return dataset.dataset?.createDbTasks[0]?.image_dims ?? null;
}

export function modelDict(record: JobRecord, dataset: JobRecord | null) {
  const options = record.params as TrainModelOptions;
  const dims = datasetDims(dataset);
  const resizeMode = (dataset?.params as { resizeMode?: string } | undefined)?.resizeMode;
  return {
    ...baseDict(record),
    dataset_id: record.datasetId,
    'job id': record.id,
    'creation time': creationTime(record.created),
    username: record.username,
    ...(dims ? { 'image dimensions': dims } : {}),
    'mean file': 'mean.binaryproto',
    'mean subtraction': options.useMean,
    'snapshot file': snapshotFile(record),
    'model file': 'network.json',
    framework: options.framework,
    ...engineOf(record),
    'digits version': DIGITS_VERSION,
    ...(resizeMode ? { 'image resize mode': resizeMode } : {}),
    // only classification datasets have labels
    ...(dataset?.type === JOB_TYPES.imageClassificationDataset ? { 'labels file': 'labels.txt' } : {}),
  };
}

/**
 * Detailed model dict (`GET /models/<id>.json`): adds `directory` and `snapshots` (epochs,
 * ascending), plus ours: the checkpoint and the failure when there is one. It describes the job,
 * so a clone of a finished model that trained the same way has the same one but for its id,
 * directory and creation time; what is measured while it runs is in modelTraining.
 */
export function modelDetail(record: JobRecord, dataset: JobRecord | null, jobsDir: string) {
  const model = record.model;
  return {
    ...modelDict(record, dataset),
    directory: path.join(jobsDir, record.id),
    snapshots: (model?.snapshots ?? []).map((s) => s.epoch),
    // where POST /models/<id>/resume would continue, and where earlier runs did
    ...(model ? { checkpoint: model.checkpoint ?? null, resumes: model.resumes ?? [] } : {}),
    ...(record.error ? { error: record.error } : {}),
  };
}

/** `GET /models/<id>/training.json`: what is measured while a model trains. */
export const ModelTrainingSchema = Type.Object({
  id: Type.String(), status: Type.String(), progress: Type.Number(), epoch: Type.Number(), 'images per second': Type.Union([Type.Number(), Type.Null()]),
  train_outputs: Outputs, val_outputs: Outputs,
});

/** Progress, epoch reached, throughput and the §9.1 series: figures of the run, not of the job. */
export function modelTraining(record: JobRecord) {
  const model = record.model;
  return {
    id: record.id,
    status: statusName(record.status),
    progress: record.progress,
    epoch: model?.epoch ?? 0,
    'images per second': model?.imagesPerSecond ?? null,
    train_outputs: model?.trainOutputs ?? {},
    val_outputs: model?.valOutputs ?? {},
  };
}

/** Running jobs first, then finished ones; newest first within each group (§5.1). */
export function indexOrder(records: JobRecord[]): JobRecord[] {
  const byNewest = [...records].sort((a, b) => b.created - a.created);
  return [...byNewest.filter((r) => isRunningStatus(r.status)), ...byNewest.filter((r) => !isRunningStatus(r.status))];
}

/** A pretrained-model job's dict (ours; DIGITS has no JSON for them): the facts its import took and made. */
export function pretrainedDict(record: JobRecord, jobsDir: string) {
  const params = record.params as Partial<PretrainedParams> | null;
  const options = params?.options;
  return {
    ...baseDict(record),
    'job id': record.id,
    type: record.type,
    'creation time': creationTime(record.created),
    username: record.username,
    framework: options?.framework ?? null,
    'has labels': options?.hasLabels ?? false,
    ...(options ? { 'image dimensions': [options.image.height, options.image.width, options.image.channels], 'image resize mode': options.image.resizeMode, 'mean subtraction': options.useMean } : {}),
    'snapshot file': snapshotFile(record),
    directory: path.join(jobsDir, record.id),
    ...(record.error ? { error: record.error } : {}),
  };
}
