/**
 * Worker jobs behind the dataset pages, over the `infer` queue (the gateway decodes no image and
 * reads no LMDB): the resize preview of the dataset form (§11.7) and the DB explorer (§4.2).
 */
import { Type, type Static } from 'typebox';
import { DatasetBuildOptions } from './dataset-options.ts';

/** Largest width or height `resize-example` draws: the answer travels through Redis as base64. */
export const RESIZE_EXAMPLE_MAX_SIZE = 4096;
/** Most entries one explorer page returns. */
export const EXPLORE_MAX_PAGE_SIZE = 100;

const RequestId = Type.String({ pattern: '^[A-Za-z0-9_-]+$' });
const Side = Type.Integer({ minimum: 1, maximum: RESIZE_EXAMPLE_MAX_SIZE });

/** `POST /datasets/images/resize-example` (§11.7): the dataset form's image fields. */
export const ResizeExamplePayload = Type.Object({
  v: Type.Literal(1),
  /** The request's own id (its queue entry). */
  jobId: RequestId,
  width: Side,
  height: Side,
  channels: DatasetBuildOptions.properties.channels,
  resizeMode: DatasetBuildOptions.properties.resizeMode,
  encoding: DatasetBuildOptions.properties.encoding,
}, { additionalProperties: false });
export type ResizeExamplePayload = Static<typeof ResizeExamplePayload>;

/**
 * `GET /datasets/{images/classification,generic}/explore` (§4.2): one page of a dataset DB.
 * `db` is a stage (`train`, `val`, `test`) for a classification dataset, else a DB folder as
 * the dataset manifest records it (relative to the job folder, or absolute for prebuilt DBs).
 */
export const ExploreDatasetPayload = Type.Object({
  v: Type.Literal(1),
  jobId: RequestId,
  datasetId: Type.String(),
  db: Type.String({ minLength: 1 }),
  page: Type.Integer({ minimum: 0 }),
  size: Type.Integer({ minimum: 1, maximum: EXPLORE_MAX_PAGE_SIZE }),
  /** Only entries of this class (classification datasets); null → every entry. */
  label: Type.Union([Type.Integer({ minimum: 0 }), Type.Null()]),
}, { additionalProperties: false });
export type ExploreDatasetPayload = Static<typeof ExploreDatasetPayload>;

