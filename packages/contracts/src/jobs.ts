/**
 * The queue catalogue: every job name, the queue that runs it, the job record it works for,
 * its payload, result and progress schemas and its retry policy. Payloads are small (ids and
 * parameters) and carry `v: 1`.
 */
import { Type, type Static, type TSchema } from 'typebox';
import { DatasetBuildOptions } from './dataset-options.ts';
import { TrainModelOptions } from './model-options.ts';
import { ClassifyImagesPayload, DrawNetworkPayload } from './inference.ts';
import { ExploreDatasetPayload, ResizeExamplePayload } from './dataset-tools.ts';
import { GenericDatasetOptions } from './data-extensions.ts';
import { PrebuiltDatasetOptions } from './prebuilt-dataset.ts';
import type { JobKind } from './job-record.ts';
import { ImportPretrainedPayload } from './pretrained.ts';
import { AnalyzePrebuiltDatasetResult, BuildDatasetResult, ImportPretrainedResult, BuildGenericDatasetResult, ClassifyImagesResult, DrawNetworkResult, ExploreDatasetResult, FractionDone, ResizeExampleResult, TrainModelResult } from './job-results.ts';

/** Queues follow resource profiles, not job names. */
export const QUEUES = ['ingest', 'train', 'infer'] as const;
export type QueueName = (typeof QUEUES)[number];

/**
 * A training worker's own queue (`train-<key>`), for jobs placed on the GPUs it has; it serves
 * the shared `train` queue too. Queue entries name one of the shared queues or such a queue.
 */
export type PlacedQueue = `train-${string}`;
export type QueueRef = QueueName | PlacedQueue;
export const PLACED_QUEUE_PATTERN = '^train-[0-9a-f]{6}$';
export const placedTrainQueue = (key: string): PlacedQueue => `train-${key}`;

/** A build payload: the job record's id and the validated form options. */
const buildPayload = <T extends TSchema>(options: T) => Type.Object({ v: Type.Literal(1), jobId: Type.String(), options }, { additionalProperties: false });

export const BuildDatasetPayload = buildPayload(DatasetBuildOptions);
export type BuildDatasetPayload = Static<typeof BuildDatasetPayload>;

export const TrainModelPayload = Type.Object({
  v: Type.Literal(1),
  jobId: Type.String(),
  datasetId: Type.String(),
  options: TrainModelOptions,
}, { additionalProperties: false });
export type TrainModelPayload = Static<typeof TrainModelPayload>;

export const BuildGenericDatasetPayload = buildPayload(GenericDatasetOptions);
export type BuildGenericDatasetPayload = Static<typeof BuildGenericDatasetPayload>;

export const AnalyzePrebuiltDatasetPayload = buildPayload(PrebuiltDatasetOptions);
export type AnalyzePrebuiltDatasetPayload = Static<typeof AnalyzePrebuiltDatasetPayload>;

/**
 * How a job's queue entry is retried when its processor throws a retryable error: BullMQ's
 * `attempts` (1: never) and the wait between tries. `why` is the decision, for the reader.
 * Independent of this, a job whose worker dies is put back by BullMQ's stalled check (up to
 * the runner's MAX_STALLS), and a stopping worker requeues its job itself.
 */
export interface RetryPolicy {
  attempts: number;
  backoff?: { type: 'exponential' | 'fixed'; delay: number };
  why: string;
}

/**
 * A job whose work ends in its job record's status. When its processor throws it has already
 * written Error (with the reason) to the record, so a retry would run a job the user sees as
 * failed; and most failures are the input's (paths, images, options) and would repeat.
 */
const NEVER_RETRIED_RECORD: RetryPolicy = {
  attempts: 1,
  why: 'the record already says Error with the reason when the processor throws; the user clones the job, or resumes a model from its checkpoint',
};
/** A request a client waits for (request/reply). */
const NEVER_RETRIED_REQUEST: RetryPolicy = {
  attempts: 1,
  why: 'a client waits for the answer; a retry after its timeout would answer nobody, and a failure is answered at once as its error',
};

/** What the catalogue says about each job. */
export interface JobSpec {
  queue: QueueName;
  /** The kind of job record whose work this is; null: a request answered to a waiting caller. */
  record: JobKind | null;
  payload: TSchema;
  /** What the processor returns (BullMQ's return value; a request's answer). */
  result: TSchema;
  /** What the job reports while it runs, on its job record; null when it reports nothing. */
  progress: TSchema | null;
  retry: RetryPolicy;
}

/** Job name → queue, record kind, payload, result and progress schemas, and retry policy. */
export const JOBS = {
  'build-dataset': {
    queue: 'ingest',
    record: 'dataset',
    payload: BuildDatasetPayload,
    result: BuildDatasetResult,
    progress: FractionDone,
    retry: NEVER_RETRIED_RECORD,
  },
  'build-generic-dataset': {
    queue: 'ingest',
    record: 'dataset',
    payload: BuildGenericDatasetPayload,
    result: BuildGenericDatasetResult,
    progress: FractionDone,
    retry: NEVER_RETRIED_RECORD,
  },
  'analyze-prebuilt-dataset': {
    queue: 'ingest',
    record: 'dataset',
    payload: AnalyzePrebuiltDatasetPayload,
    result: AnalyzePrebuiltDatasetResult,
    progress: FractionDone,
    retry: NEVER_RETRIED_RECORD,
  },
  'train-model': {
    queue: 'train',
    record: 'model',
    payload: TrainModelPayload,
    result: TrainModelResult,
    progress: FractionDone,
    // continuing from the last checkpoint is the user's decision (POST /models/<id>/resume):
    // an automatic retry could fail the same way after hours of training
    retry: NEVER_RETRIED_RECORD,
  },
  'import-pretrained': {
    // converting a model is TF.js work of seconds, beside inference rather than behind training
    queue: 'infer',
    record: 'pretrained',
    payload: ImportPretrainedPayload,
    result: ImportPretrainedResult,
    progress: null,
    retry: NEVER_RETRIED_RECORD,
  },
  'classify-images': {
    queue: 'infer',
    record: null,
    payload: ClassifyImagesPayload,
    result: ClassifyImagesResult,
    progress: null,
    retry: NEVER_RETRIED_REQUEST,
  },
  'draw-network': {
    queue: 'infer',
    record: null,
    payload: DrawNetworkPayload,
    result: DrawNetworkResult,
    progress: null,
    retry: NEVER_RETRIED_REQUEST,
  },
  'resize-example': {
    queue: 'infer',
    record: null,
    payload: ResizeExamplePayload,
    result: ResizeExampleResult,
    progress: null,
    retry: NEVER_RETRIED_REQUEST,
  },
  'explore-dataset': {
    queue: 'infer',
    record: null,
    payload: ExploreDatasetPayload,
    result: ExploreDatasetResult,
    progress: null,
    retry: NEVER_RETRIED_REQUEST,
  },
} as const satisfies Record<string, JobSpec>;

export type JobName = keyof typeof JOBS;
export type PayloadOf<N extends JobName> = Static<(typeof JOBS)[N]['payload']>;
export type ResultOf<N extends JobName> = Static<(typeof JOBS)[N]['result']>;
/** Jobs a client waits for (request/reply), and jobs that work for a job record. */
export type RequestJobName = { [N in JobName]: (typeof JOBS)[N]['record'] extends null ? N : never }[JobName];
export type RecordJobName = Exclude<JobName, RequestJobName>;

/**
 * The deterministic BullMQ id of job `name` for record (or request) `id`: enqueueing the same
 * work twice adds it once, and a record's queue entry can be found again from its id.
 */
export function queueJobIdOf(name: JobName, id: string): string {
  return `${name}-${id}`;
}
