/** Inference over the `infer` queue (contract §10): a request per call, answered by a worker. */
import { Type, type Static } from 'typebox';
import { MAX_GENERATED_INFER_ENTRIES } from './data-extensions.ts';

/** Folder inside JOBS_DIR where the gateway keeps uploads for inference until the answer. */
export const UPLOADS_DIR = '.uploads';

/** One image to classify: an absolute path (an upload the gateway stored, or a checked server path). */
export const InferImage = Type.Object({
  /** What the client named (list line or upload name): the key of its result. */
  source: Type.String(),
  path: Type.String(),
  /** Ground truth from an image list, when the line had one. */
  label: Type.Union([Type.Integer({ minimum: 0 }), Type.Null()]),
}, { additionalProperties: false });
export type InferImage = Static<typeof InferImage>;

/** Inputs that are not image files (§10.5): an LMDB's entries, or entries an extension generates. */
export const InferSource = Type.Union([
  Type.Object({ kind: Type.Literal('db'), path: Type.String() }, { additionalProperties: false }),
  Type.Object({
    kind: Type.Literal('image-gradients'),
    gradientX: Type.Number(), gradientY: Type.Number(),
    /** Random entries to generate; null → one entry with the given slopes (§7.3). */
    count: Type.Union([Type.Integer({ minimum: 1, maximum: MAX_GENERATED_INFER_ENTRIES }), Type.Null()]),
    width: Type.Integer({ minimum: 1 }), height: Type.Integer({ minimum: 1 }),
  }, { additionalProperties: false }),
]);
export type InferSource = Static<typeof InferSource>;

/**
 * The `Image output` view's settings (§10.6): the worker renders each input's first output as a
 * PNG (image encoding is the worker's; the gateway never touches pixels).
 */
export const OutputImageOptions = Type.Object({
  channelOrder: Type.Union([Type.Literal('rgb'), Type.Literal('bgr')]),
  pixelConversion: Type.Union([Type.Literal('normalize'), Type.Literal('clip')]),
}, { additionalProperties: false });
export type OutputImageOptions = Static<typeof OutputImageOptions>;

/** The `Image Segmentation` view's colour map (§10.6): the dataset's palette, matplotlib's "Paired", or grey = class index. */
export const SegmentationViewOptions = Type.Object({
  colormap: Type.Union([Type.Literal('dataset'), Type.Literal('paired'), Type.Literal('none')]),
}, { additionalProperties: false });
export type SegmentationViewOptions = Static<typeof SegmentationViewOptions>;

export const ClassifyImagesPayload = Type.Object({
  v: Type.Literal(1),
  /** The request's own id (its queue entry); the model is `modelId`. */
  jobId: Type.String({ pattern: '^[A-Za-z0-9_-]+$' }),
  modelId: Type.String(),
  /** Snapshot epoch; −1 = newest (§9.2). */
  epoch: Type.Number(),
  /** Image files; empty when `source` gives the inputs. */
  images: Type.Array(InferImage),
  source: Type.Optional(InferSource),
  /** `classify` (default): top predictions (§10.2–10.4); `outputs`: every deploy output per input (§10.5). */
  mode: Type.Optional(Type.Union([Type.Literal('classify'), Type.Literal('outputs')])),
  /** False for generic `dont_resize`: only channels are converted, and the input must already have the model's size. */
  resize: Type.Optional(Type.Boolean()),
  /** Predictions kept per image. */
  top: Type.Integer({ minimum: 1 }),
  /** Return every class's probability per image (top_n needs them). */
  scores: Type.Optional(Type.Boolean()),
  /** Per-layer statistics for the first image (show_visualizations). */
  visualize: Type.Optional(Type.Boolean()),
  /** A PNG of each usable input as the model received it, for the first {@link MAX_THUMBNAILS} (the result pages show them). */
  thumbnails: Type.Optional(Type.Boolean()),
  /** Mode `outputs`: the first output of each of the first {@link MAX_THUMBNAILS} inputs as a PNG (§10.6 `Image output`). */
  outputImage: Type.Optional(OutputImageOptions),
  /** Mode `outputs`: the first output of each of the first {@link MAX_THUMBNAILS} inputs as a class overlay and legend (§10.6 `Image Segmentation`). */
  segmentation: Type.Optional(SegmentationViewOptions),
}, { additionalProperties: false });
export type ClassifyImagesPayload = Static<typeof ClassifyImagesPayload>;

/** Most inputs of one request that get a thumbnail: beyond it the answer would only grow. */
export const MAX_THUMBNAILS = 500;

/** Python 2's round(100·p, 2) on the binary value (toFixed rounds the exact decimal expansion). */
export function percent(probability: number): number {
  return Number((probability * 100).toFixed(2));
}

/** `POST /models/visualize-network` (§11.6): a worker draws the network (the gateway renders no images). */
export const DrawNetworkPayload = Type.Object({
  v: Type.Literal(1),
  jobId: Type.String({ pattern: '^[A-Za-z0-9_-]+$' }),
  /** The definition text: a Caffe prototxt or a TF.js layers JSON. */
  network: Type.String(),
  format: Type.Union([Type.Literal('svg'), Type.Literal('png')]),
}, { additionalProperties: false });
export type DrawNetworkPayload = Static<typeof DrawNetworkPayload>;

