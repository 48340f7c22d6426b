/**
 * Data extensions (contract §7.1): generic datasets whose entries an extension generates
 * (image-gradients, §7.3) or reads from paired image folders (image-processing, §7.5). Here
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

/** Largest `seed` an image-processing dataset draws at creation (DIGITS: `random.randint(0, 1000)`). */
export const MAX_SPLIT_SEED = 1000;

/** Paired input/label image folders (§7.5); the server paths were checked against DATA_ROOTS. */
export const ImageProcessingOptions = Type.Object({
  featureFolder: Type.String({ minLength: 1 }),
  labelFolder: Type.String({ minLength: 1 }),
  /** Percentage of the pairs for validation; ignored with separate validation folders. */
  pctVal: Type.Integer({ minimum: 0, maximum: 100 }),
  /** Both set (has_val_folder) or both null. */
  valFeatureFolder: Type.Union([Type.String({ minLength: 1 }), Type.Null()]),
  valLabelFolder: Type.Union([Type.String({ minLength: 1 }), Type.Null()]),
  channelConversion: Type.Union([Type.Literal('RGB'), Type.Literal('L'), Type.Literal('none')]),
  /** Drawn once at creation, so every stage sees the same permutation (a clone draws anew). */
  seed: Type.Integer({ minimum: 0, maximum: MAX_SPLIT_SEED }),
}, { additionalProperties: false });
export type ImageProcessingOptions = Static<typeof ImageProcessingOptions>;

/**
 * Segmentation (§7.6): image-processing's folders, split and seed, plus how label images map to
 * class indices. The colour map and class label files were confined to DATA_ROOTS by the gateway.
 */
export const ImageSegmentationOptions = Type.Object({
  ...ImageProcessingOptions.properties,
  /** Input images only; labels are always read as class indices. */
  channelConversion: ImageProcessingOptions.properties.channelConversion,
  classLabelsFile: Type.Union([Type.String({ minLength: 1 }), Type.Null()]),
  colormapMethod: Type.Union([Type.Literal('label'), Type.Literal('textfile')]),
  colormapTextFile: Type.Union([Type.String({ minLength: 1 }), Type.Null()]),
}, { additionalProperties: false });
export type ImageSegmentationOptions = Static<typeof ImageSegmentationOptions>;

/** What a segmentation dataset keeps of its labels (§7.6's extension data), for the view and explore. */
export const SegmentationExtensionData = Type.Object({
  /** 768 palette values (R, G, B per class index), or null for grey (L) labels. */
  color_palette: Type.Union([Type.Array(Type.Integer({ minimum: 0, maximum: 255 })), Type.Null()]),
  class_labels: Type.Array(Type.String()),
  colormap_method: Type.Union([Type.Literal('label'), Type.Literal('textfile')]),
});
export type SegmentationExtensionData = Static<typeof SegmentationExtensionData>;
/** KITTI-labelled image folders for object detection (§7.7); paths checked against DATA_ROOTS. */
export const ImageObjectDetectionOptions = Type.Object({
  trainImageFolder: Type.String({ minLength: 1 }),
  trainLabelFolder: Type.String({ minLength: 1 }),
  /** Both set or both null (then the val stage is empty). */
  valImageFolder: Type.Union([Type.String({ minLength: 1 }), Type.Null()]),
  valLabelFolder: Type.Union([Type.String({ minLength: 1 }), Type.Null()]),
  /** Canvas the image is pasted on (top-left), or null for no padding. */
  padding: Type.Union([Type.Object({ width: Type.Integer({ minimum: 1 }), height: Type.Integer({ minimum: 1 }) }, { additionalProperties: false }), Type.Null()]),
  /** Size the (padded) image is squashed to, or null. */
  resize: Type.Union([Type.Object({ width: Type.Integer({ minimum: 1 }), height: Type.Integer({ minimum: 1 }) }, { additionalProperties: false }), Type.Null()]),
  channelConversion: Type.Union([Type.Literal('RGB'), Type.Literal('L'), Type.Literal('none')]),
  /** Validation objects narrower or shorter than this become class 0; 0 disables. */
  valMinBoxSize: Type.Integer({ minimum: 0 }),
  /** Replaces the default class table when not empty: name i → id i. */
  customClasses: Type.Array(Type.String()),
}, { additionalProperties: false });
export type ImageObjectDetectionOptions = Static<typeof ImageObjectDetectionOptions>;

const Encoding = Type.Union([Type.Literal('none'), Type.Literal('png'), Type.Literal('jpg')]);

/** The `dsopts_*` options every extension dataset has (§7.2). */
const DatasetOptionFields = {
  featureEncoding: Encoding,
  labelEncoding: Encoding,
  batchSize: Type.Integer({ minimum: 1 }),
  threads: Type.Integer({ minimum: 1 }),
  forceSameShape: Type.Boolean(),
};

/** What a generic dataset build needs, validated again when a worker picks it up. */
export const GenericDatasetOptions = Type.Union([
  Type.Object({ extension: Type.Literal('image-gradients'), ...DatasetOptionFields, extensionOptions: ImageGradientsOptions }, { additionalProperties: false }),
  Type.Object({ extension: Type.Literal('image-processing'), ...DatasetOptionFields, extensionOptions: ImageProcessingOptions }, { additionalProperties: false }),
  Type.Object({ extension: Type.Literal('image-segmentation'), ...DatasetOptionFields, extensionOptions: ImageSegmentationOptions }, { additionalProperties: false }),
  Type.Object({ extension: Type.Literal('image-object-detection'), ...DatasetOptionFields, extensionOptions: ImageObjectDetectionOptions }, { additionalProperties: false }),
]);
export type GenericDatasetOptions = Static<typeof GenericDatasetOptions>;
/** The extension ids a generic dataset can have. */
export type DataExtensionId = GenericDatasetOptions['extension'];
