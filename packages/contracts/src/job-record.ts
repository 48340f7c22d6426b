/**
 * The durable job record: `<JOBS_DIR>/<id>/job.json`, mirrored in Redis for the index and live
 * status. Validated whenever it is read from disk (a jobs folder is untrusted input).
 */
import { Type, type Static } from 'typebox';
import { AnalyzeDbTask } from './prebuilt-dataset.ts';
import { SegmentationExtensionData } from './data-extensions.ts';
import { EngineInfo } from './workers.ts';

const StatusCodeSchema = Type.Union([Type.Literal('I'), Type.Literal('W'), Type.Literal('R'), Type.Literal('D'), Type.Literal('A'), Type.Literal('E')]);
const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(schema: T) => Type.Union([schema, Type.Null()]);

/** One unreadable image, listed in the dataset JSON. */
export const SkippedImage = Type.Object({ source: Type.String(), code: Type.String(), message: Type.String() });
export type SkippedImage = Static<typeof SkippedImage>;

export const ParseFolderTask = Type.Object({
  name: Type.String(),
  label_count: Nullable(Type.Integer()),
  train_count: Nullable(Type.Integer()),
  val_count: Nullable(Type.Integer()),
  test_count: Nullable(Type.Integer()),
});
export type ParseFolderTask = Static<typeof ParseFolderTask>;

export const CreateDbTask = Type.Object({
  name: Type.String(),
  stage: Type.Union([Type.Literal('train'), Type.Literal('val'), Type.Literal('test')]),
  status: StatusCodeSchema,
  entries: Nullable(Type.Integer()),
  /** Image dims as DIGITS stores them: [height, width, channels]. */
  image_dims: Type.Array(Type.Integer()),
  backend: Type.String(),
  encoding: Type.String(),
  compression: Type.String(),
  skipped: Type.Integer(),
});
export type CreateDbTask = Static<typeof CreateDbTask>;

/** Dataset-only state: the tasks DIGITS reports and the images that could not be read. */
export const DatasetState = Type.Object({
  parseFolderTasks: Type.Array(ParseFolderTask),
  createDbTasks: Type.Array(CreateDbTask),
  labelCount: Nullable(Type.Integer()),
  skippedCount: Type.Integer(),
  /** The first skipped images (bounded), each with its error code. */
  skipped: Type.Array(SkippedImage),
  imagesPerSecond: Nullable(Type.Number()),
});
export type DatasetState = Static<typeof DatasetState>;

/** A generic dataset's tasks as §5.3 reports them, and its feature shape [H, W, C]. */
export const GenericDatasetState = Type.Object({
  createDbTasks: Type.Array(Type.Object({
    name: Type.String(),
    stage: Type.String(),
    entry_count: Nullable(Type.Integer()),
    feature_db_path: Nullable(Type.String()),
    label_db_path: Nullable(Type.String()),
  })),
  featureDims: Nullable(Type.Array(Type.Integer())),
  /** What the extension learned of its data (segmentation: palette and class labels, §7.6). */
  extensionData: Type.Optional(SegmentationExtensionData),
});
export type GenericDatasetState = Static<typeof GenericDatasetState>;

/** One reported series (§9.1): the layer kind that produced it and a value per `epoch` entry. */
export const OutputSeries = Type.Object({ kind: Type.String(), values: Type.Array(Nullable(Type.Number())) });
export type OutputSeries = Static<typeof OutputSeries>;
/** An ordered series map; always has `epoch`. */
export const Outputs = Type.Record(Type.String(), OutputSeries);
export type Outputs = Static<typeof Outputs>;

/** Model-only state written by the trainer. */
export const ModelState = Type.Object({
  /** The TF.js backend that ran the training: name, npm package, version, and the GPU on webgpu. */
  engine: Nullable(EngineInfo),
  /** Snapshot epochs with their folder names, ascending, and the worker that wrote each. */
  snapshots: Type.Array(Type.Object({ epoch: Type.Number(), dir: Type.String(), worker: Type.Optional(Type.String()) })),
  /** Where the newest checkpoint stands (the point a resume continues from). */
  checkpoint: Type.Optional(Nullable(Type.Object({ iteration: Type.Integer(), epoch: Type.Number() }))),
  /** Each time the training continued from a checkpoint: when, where, and on which worker. */
  resumes: Type.Optional(Type.Array(Type.Object({ at: Type.Number(), iteration: Type.Integer(), epoch: Type.Number(), worker: Type.String() }))),
  trainOutputs: Outputs,
  valOutputs: Outputs,
  /** Fractional epoch reached. */
  epoch: Type.Number(),
  /** Training throughput of the last epoch (images per second). */
  imagesPerSecond: Nullable(Type.Number()),
  /** Input as fed to the network [height, width, channels] (after cropping). */
  inputShape: Type.Array(Type.Integer()),
  batchSize: Nullable(Type.Integer()),
  /** Threads that shared each training batch (1 + data-parallel replicas kept after tuning). */
  replicas: Nullable(Type.Integer()),
  /** The GPUs that shared each batch (webgpu; the trainer thread's first), with the adapter each device ran on. */
  gpus: Type.Optional(Type.Array(Type.Object({ index: Type.Integer({ minimum: 0 }), name: Type.String(), device: Type.Optional(Type.String()) }))),
});
export type ModelState = Static<typeof ModelState>;

/** `pretrained`: a model imported from files (§4.4), with one snapshot and no dataset. */
export const JobKind = Type.Union([Type.Literal('dataset'), Type.Literal('model'), Type.Literal('pretrained')]);
export type JobKind = Static<typeof JobKind>;

/** Every job id: `YYYYMMDD-HHMMSS-xxxx` (server local time, 4 hex digits; contract §3.1). */
export const JOB_ID_PATTERN = '^\\d{8}-\\d{6}-[0-9a-f]{4}$';

export const JobRecord = Type.Object({
  v: Type.Literal(1),
  /** Bumped on every write, so an older write never replaces a newer job.json. */
  rev: Type.Integer({ minimum: 0 }),
  id: Type.String({ pattern: JOB_ID_PATTERN }),
  kind: JobKind,
  /** DIGITS' type string, e.g. `Image Classification Dataset` (contract §3.3). */
  type: Type.String(),
  name: Type.String(),
  group: Type.String(),
  username: Nullable(Type.String()),
  notes: Nullable(Type.String()),
  /** Unix seconds (float). */
  created: Type.Number(),
  status: StatusCodeSchema,
  statusHistory: Type.Array(Type.Tuple([StatusCodeSchema, Type.Number()])),
  progress: Type.Number({ minimum: 0, maximum: 1 }),
  /** Why the job ended in Error or Aborted, when it did. */
  error: Nullable(Type.Object({ code: Type.String(), message: Type.String() })),
  /** Saved form values (`form.<field>.data`), for cloning. */
  form: Type.Record(Type.String(), Type.Unknown()),
  /** The queue entry doing this job's work, if any. */
  /** The queue entry: a shared queue, or a training worker's own queue (`train-<key>`, GPU placement). */
  queueJob: Nullable(Type.Object({ queue: Type.Union([Type.Literal('ingest'), Type.Literal('train'), Type.Literal('infer'), Type.Unsafe<`train-${string}`>(Type.String({ pattern: '^train-[0-9a-f]{6}$' }))]), id: Type.String() })),
  datasetId: Nullable(Type.String()),
  dataset: Nullable(DatasetState),
  /** Prebuilt-LMDB datasets only: one Analyze-DB task per DB (§7.4). */
  analyzeDbTasks: Type.Optional(Type.Array(AnalyzeDbTask)),
  /** Generic (extension) datasets only. */
  generic: Type.Optional(Nullable(GenericDatasetState)),
  /** Absent on dataset records and on records written before models existed. */
  model: Type.Optional(Nullable(ModelState)),
  /** Everything the worker needs to (re)do the work. */
  params: Type.Unknown(),
});
export type JobRecord = Static<typeof JobRecord>;

/** DIGITS' type strings. */
export const JOB_TYPES = {
  imageClassificationDataset: 'Image Classification Dataset',
  imageClassificationModel: 'Image Classification Model',
  genericDataset: 'Generic Dataset',
  genericImageDataset: 'Generic Image Dataset',
  genericImageModel: 'Generic Image Model',
  pretrainedModel: 'Pretrained Model',
} as const;
