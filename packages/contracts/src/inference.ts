/** Inference over the `infer` queue (contract §10): a request per call, answered by a worker. */
import { Type, type Static } from 'typebox';

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

export const ClassifyImagesPayload = Type.Object({
  v: Type.Literal(1),
  /** The request's own id (its queue entry); the model is `modelId`. */
  jobId: Type.String({ pattern: '^[A-Za-z0-9_-]+$' }),
  modelId: Type.String(),
  /** Snapshot epoch; −1 = newest (§9.2). */
  epoch: Type.Number(),
  images: Type.Array(InferImage, { minItems: 1 }),
  /** Predictions kept per image. */
  top: Type.Integer({ minimum: 1 }),
  /** Return every class's probability per image (top_n needs them). */
  scores: Type.Optional(Type.Boolean()),
  /** Per-layer statistics for the first image (show_visualizations). */
  visualize: Type.Optional(Type.Boolean()),
}, { additionalProperties: false });
export type ClassifyImagesPayload = Static<typeof ClassifyImagesPayload>;

/** `[label, percent rounded to 2 places]`, DIGITS' prediction pair. */
export type Prediction = [string, number];

export interface ClassifiedImage {
  source: string;
  label: number | null;
  /** Top predictions, best first; absent when the image could not be used. */
  predictions?: Prediction[];
  /** Index of every class by score, best first (top-5 accuracy and confusion need the ranks). */
  ranked?: number[];
  /** Every class's probability, when asked for. */
  scores?: number[];
  error?: { code: string; message: string };
}

export interface ClassifyImagesResult {
  epoch: number;
  labels: string[];
  images: ClassifiedImage[];
  /** Milliseconds spent loading the model (0 when it was cached). */
  loadMs: number;
  /** Per-layer activation and weight statistics of the first image, when asked for. */
  visualizations?: unknown[];
}

/** Python 2's round(100·p, 2) on the binary value (toFixed rounds the exact decimal expansion). */
export function percent(probability: number): number {
  return Number((probability * 100).toFixed(2));
}

/** A classify_many list line: `<path>` optionally followed by whitespace and an integer label (§10.3). */
export function parseInferenceList(text: string): { path: string; label: number | null }[] {
  const out: { path: string; label: number | null }[] = [];
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '') continue;
    const match = /^(.*\S)\s+(\d+)$/.exec(line);
    out.push(match ? { path: match[1]!, label: Number(match[2]) } : { path: line, label: null });
  }
  return out;
}
