/**
 * What each job's processor returns: BullMQ stores it as the job's JSON return value, and a
 * request/reply caller (the gateway) reads it back. The catalogue (`jobs.ts`) names one schema
 * per job, so producer, processor and caller share one shape and the reply can be checked.
 */
import { Type, type Static, type TSchema } from 'typebox';
import { AnalyzeDbTask } from './prebuilt-dataset.ts';

const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);
/** A number a model computed: a NaN (a diverged model) arrives as null through JSON. */
const ModelNumber = Type.Unsafe<number>(Nullable(Type.Number()));
const CodedError = Type.Object({ code: Type.String(), message: Type.String() });

/**
 * A record's job that did not do its work: the record was deleted before a worker took it, or
 * an abort came first (or while it ran). Every record-backed job may answer this.
 */
export const JobNotDone = Type.Union([
  Type.Object({ skipped: Type.String() }),
  Type.Object({ aborted: Type.Literal(true) }),
]);
export type JobNotDone = Static<typeof JobNotDone>;

/** A record-backed job's result: its own when it ran to the end, else {@link JobNotDone}. */
const recordResult = <T extends TSchema>(done: T) => Type.Union([done, JobNotDone]);

/** `[stage, entries]` per DB written (entries null when a stage was not built). */
const StageEntries = Type.Array(Type.Tuple([Type.String(), Nullable(Type.Integer())]));

export const BuildDatasetResult = recordResult(Type.Object({ entries: StageEntries, skipped: Type.Integer() }));
export type BuildDatasetResult = Static<typeof BuildDatasetResult>;

export const BuildGenericDatasetResult = recordResult(Type.Object({ entries: StageEntries }));
export type BuildGenericDatasetResult = Static<typeof BuildGenericDatasetResult>;

export const AnalyzePrebuiltDatasetResult = recordResult(Type.Object({ tasks: Type.Array(AnalyzeDbTask) }));
export type AnalyzePrebuiltDatasetResult = Static<typeof AnalyzePrebuiltDatasetResult>;

export const ImportPretrainedResult = recordResult(Type.Object({ layers: Type.Array(Type.String()) }));
export type ImportPretrainedResult = Static<typeof ImportPretrainedResult>;
export const TrainModelResult = recordResult(Type.Object({ iterations: Type.Integer(), snapshots: Type.Array(Type.Number()) }));
export type TrainModelResult = Static<typeof TrainModelResult>;

/** `[label, percent rounded to 2 places]`, DIGITS' prediction pair. */
export const Prediction = Type.Tuple([Type.String(), ModelNumber]);
export type Prediction = Static<typeof Prediction>;

export const ClassifiedImage = Type.Object({
  source: Type.String(),
  label: Nullable(Type.Integer()),
  /** Top predictions, best first; absent when the image could not be used. */
  predictions: Type.Optional(Type.Array(Prediction)),
  /** Index of every class by score, best first (top-5 accuracy and confusion need the ranks). */
  ranked: Type.Optional(Type.Array(Type.Integer())),
  /** Every class's probability, when asked for. */
  scores: Type.Optional(Type.Array(ModelNumber)),
  /** Every deploy output by blob name, as nested lists without the batch dimension (mode `outputs`). */
  outputs: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  /** The pixels the model received (after resize; 1-channel stays grayscale), when asked for. */
  thumbnail: Type.Optional(Type.Object({ mime: Type.Literal('image/png'), data: Type.String({ description: 'base64' }) })),
  /** The first output drawn as an image (payload `outputImage`): PNG, base64. */
  outputImage: Type.Optional(Type.Object({ mime: Type.Literal('image/png'), data: Type.String({ description: 'base64' }), width: Type.Integer(), height: Type.Integer(), channels: Type.Integer() })),
  /** The first output's arg-max class map as an RGBA overlay PNG and its legend (payload `segmentation`, §10.6). */
  segmentation: Type.Optional(Type.Object({
    mime: Type.Literal('image/png'), data: Type.String({ description: 'base64' }), width: Type.Integer(), height: Type.Integer(),
    legend: Type.Array(Type.Object({ index: Type.Integer(), text: Type.String(), hex_color: Type.String() })),
  })),
  error: Type.Optional(CodedError),
});
export type ClassifiedImage = Static<typeof ClassifiedImage>;

export const ClassifyImagesResult = Type.Object({
  epoch: Type.Number(),
  labels: Type.Array(Type.String()),
  images: Type.Array(ClassifiedImage),
  /** Milliseconds spent loading the model (0 when it was cached). */
  loadMs: Type.Number(),
  /** Per-layer activation and weight statistics of the first image, when asked for. */
  visualizations: Type.Optional(Type.Array(Type.Unknown())),
});
export type ClassifyImagesResult = Static<typeof ClassifyImagesResult>;

/** The picture: SVG text, or PNG bytes as base64 (a job's return value is JSON). */
export const DrawNetworkResult = Type.Object({ format: Type.Union([Type.Literal('svg'), Type.Literal('png')]), data: Type.String() });
export type DrawNetworkResult = Static<typeof DrawNetworkResult>;

/** The resized sample, as the dataset build would store it. */
export const ResizeExampleResult = Type.Object({
  /** PNG for encodings `png` and `none` (the raw pixels shown as PNG), JPEG for `jpg`. */
  mime: Type.Union([Type.Literal('image/png'), Type.Literal('image/jpeg')]),
  /** The picture's bytes, base64. */
  data: Type.String(),
  /** What one entry's image takes in the DB: the encoded length, or width·height·channels for `none`. */
  bytes: Type.Integer({ minimum: 0 }),
});
export type ResizeExampleResult = Static<typeof ResizeExampleResult>;

/** One DB entry as a picture. */
export const ExploreEntry = Type.Object({
  /** The LMDB key. */
  key: Type.String(),
  /** The class index (classification), null for generic datasets. */
  label: Nullable(Type.Integer()),
  mime: Type.Union([Type.Literal('image/png'), Type.Literal('image/jpeg')]),
  /** The image bytes, base64: encoded entries as stored, raw ones encoded as PNG. */
  data: Type.String(),
});
export type ExploreEntry = Static<typeof ExploreEntry>;

export const ExploreDatasetResult = Type.Object({
  /** Entries matching the label filter (every entry without one). */
  total: Type.Integer({ minimum: 0 }),
  /** The class names; [] for generic datasets. */
  labels: Type.Array(Type.String()),
  /** Entries `page·size` … `page·size + size − 1` among the matching ones, in key order. */
  entries: Type.Array(ExploreEntry),
});
export type ExploreDatasetResult = Static<typeof ExploreDatasetResult>;

/**
 * Progress a record-backed job reports: the fraction done, written to its job record
 * (`JobStore.setProgress`) where status pages and the change stream read it. No job uses
 * BullMQ's own job progress; requests are answered whole.
 */
export const FractionDone = Type.Number({ minimum: 0, maximum: 1 });
export type FractionDone = Static<typeof FractionDone>;
