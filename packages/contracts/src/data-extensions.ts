/**
 * Data extensions (contract §7.1): generic datasets whose entries an extension generates. Here
 * the typed options a generic build takes and the bound on generated inference entries; the
 * forms (the generic `dsopts_*` fields, §7.2, and each extension's own) are the gateway's
 * (apps/gateway/src/forms/generic-dataset-form.ts), the generators the worker's.
 */
import { Type, type Static } from 'typebox';

/**
 * Most entries `infer_extension` generates for one request (DIGITS set no bound): each is an
 * image held in memory at once, and an unbounded count took the worker down.
 */
export const MAX_GENERATED_INFER_ENTRIES = 1000;

export const ImageGradientsOptions = Type.Object({
  trainCount: Type.Integer({ minimum: 1 }),
  valCount: Type.Integer({ minimum: 0 }),
  testCount: Type.Integer({ minimum: 0 }),
  width: Type.Integer({ minimum: 1 }),
  height: Type.Integer({ minimum: 1 }),
}, { additionalProperties: false });
export type ImageGradientsOptions = Static<typeof ImageGradientsOptions>;

const Encoding = Type.Union([Type.Literal('none'), Type.Literal('png'), Type.Literal('jpg')]);

/** What a generic dataset build needs, validated again when a worker picks it up. */
export const GenericDatasetOptions = Type.Object({
  extension: Type.Literal('image-gradients'),
  featureEncoding: Encoding,
  labelEncoding: Encoding,
  batchSize: Type.Integer({ minimum: 1 }),
  threads: Type.Integer({ minimum: 1 }),
  forceSameShape: Type.Boolean(),
  extensionOptions: ImageGradientsOptions,
}, { additionalProperties: false });
export type GenericDatasetOptions = Static<typeof GenericDatasetOptions>;
