/**
 * The queue catalogue: every job name, the queue that runs it and its payload schema.
 * Payloads are small (ids and parameters) and carry `v: 1`.
 */
import { Type, type Static, type TSchema } from 'typebox';
import { DatasetBuildOptions } from './dataset-options.ts';
import { TrainModelOptions } from './model-options.ts';
import { ClassifyImagesPayload, DrawNetworkPayload } from './inference.ts';
import { ExploreDatasetPayload, ResizeExamplePayload } from './dataset-tools.ts';
import { GenericDatasetOptions } from './data-extensions.ts';
import { PrebuiltDatasetOptions } from './prebuilt-dataset.ts';

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

/** Job name → queue, payload schema and retry policy. */
export const JOBS = {
  'build-dataset': {
    queue: 'ingest',
    payload: BuildDatasetPayload,
    attempts: 1,
  },
  'build-generic-dataset': {
    queue: 'ingest',
    payload: BuildGenericDatasetPayload,
    attempts: 1,
  },
  'analyze-prebuilt-dataset': {
    queue: 'ingest',
    payload: AnalyzePrebuiltDatasetPayload,
    attempts: 1,
  },
  'train-model': {
    queue: 'train',
    payload: TrainModelPayload,
    attempts: 1,
  },
  'classify-images': {
    queue: 'infer',
    payload: ClassifyImagesPayload,
    // a client waits for the answer; a retry after its timeout would answer nobody
    attempts: 1,
  },
  'draw-network': {
    queue: 'infer',
    payload: DrawNetworkPayload,
    attempts: 1,
  },
  'resize-example': {
    queue: 'infer',
    payload: ResizeExamplePayload,
    attempts: 1,
  },
  'explore-dataset': {
    queue: 'infer',
    payload: ExploreDatasetPayload,
    attempts: 1,
  },
} as const satisfies Record<string, { queue: QueueName; payload: unknown; attempts: number }>;

export type JobName = keyof typeof JOBS;
export type PayloadOf<N extends JobName> = Static<(typeof JOBS)[N]['payload']>;

/**
 * The deterministic BullMQ id of job `name` for record (or request) `id`: enqueueing the same
 * work twice adds it once, and a record's queue entry can be found again from its id.
 */
export function queueJobIdOf(name: JobName, id: string): string {
  return `${name}-${id}`;
}
