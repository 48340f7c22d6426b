/**
 * One stage of a generic dataset (contract §7.2): feature LMDB `<stage>/features` and, for array
 * labels, `<stage>/labels`, keys `%09d`, Caffe Datums; with force_same_shape the stage mean.
 * Entries stream through: one is pulled from the extension after the previous one is written.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { Errors } from '@digits-ts/contracts';
import { createDbWriter, encodeDatum, formatSequenceKey, MeanAccumulator, pixelsToDatumData, type DbWriter } from '@digits-ts/dataset';
import { encodeImage } from '@digits-ts/imaging';

export type GenericStage = 'train_db' | 'val_db' | 'test_db';
type Encoding = 'none' | 'png' | 'jpg';

export interface StageShape { height: number; width: number; channels: 1 | 3 }

/** H×W×C uint8 pixels (RGB or grey) and their shape. */
export interface PixelArray extends StageShape { data: Uint8Array }

/** One entry: an image feature and a label, either a float vector (scalar or array) or an image (§7.5). */
export interface GenericEntry {
  feature: PixelArray;
  label: Float32Array | PixelArray;
  /** A float label's C×H×W Datum shape (object detection's 1×(M+1)×16, §7.7); default 1×1×length. */
  labelShape?: readonly [number, number, number];
}

export interface StageResult {
  entryCount: number;
  featureDbPath: string | null;
  labelDbPath: string | null;
  /** The first feature's shape; null for an empty stage. */
  featureShape: StageShape | null;
}

export interface StageOptions {
  featureEncoding: Encoding;
  /** How image labels are stored (float labels are always float Datums). */
  labelEncoding: Encoding;
  forceSameShape: boolean;
  signal?: AbortSignal;
}

/** An image as a Datum: raw C×H×W (B,G,R planes) for `none`, else PNG/JPEG bytes (§7.2). */
async function imageDatum(image: PixelArray, encoding: Encoding, label: number): Promise<Uint8Array> {
  const { height, width, channels } = image;
  if (encoding === 'none') return encodeDatum({ channels, height, width, label, data: pixelsToDatumData(image.data, width, height, channels), encoded: false });
  const data = await encodeImage({ data: Buffer.from(image.data.buffer, image.data.byteOffset, image.data.byteLength), width, height, channels }, encoding);
  return encodeDatum({ channels, height, width, label, data, encoded: true });
}

const isImage = (label: GenericEntry['label']): label is PixelArray => !(label instanceof Float32Array);
/** numpy's C×H×W shape tuple, as DIGITS prints it. */
const shapeText = (s: StageShape) => `(${s.channels}, ${s.height}, ${s.width})`;
const sameShape = (a: StageShape, b: StageShape) => a.height === b.height && a.width === b.width && a.channels === b.channels;

/** Throws unless `image` holds as many values as its shape says, and, when `previous` is set, has that shape. */
function checkShape(what: 'Feature' | 'Label', image: PixelArray, previous: StageShape | null, stage: GenericStage, index: number): void {
  if (image.data.length !== image.height * image.width * image.channels) throw Errors.DATASET_BUILD_FAILED(`entry ${index} of ${stage} has ${image.data.length} values, expected ${image.height}x${image.width}x${image.channels}`);
  if (previous && !sameShape(image, previous)) throw Errors.DATASET_BUILD_FAILED(`${what} shape mismatch (last:${shapeText(image)}, previous:${shapeText(previous)})`);
}

/** Writes `entries` into `<dir>/<stage>/…`; a stage with no entries writes nothing (§7.2). */
export async function writeGenericStage(dir: string, stage: GenericStage, entries: Iterable<GenericEntry> | AsyncIterable<GenericEntry>, opts: StageOptions): Promise<StageResult> {
  const stageDir = path.join(dir, stage);
  let features: DbWriter | null = null;
  let labels: DbWriter | null = null;
  let mean: MeanAccumulator | null = null;
  let featureShape: StageShape | null = null;
  let labelShape: StageShape | null = null;
  let count = 0;
  try {
    for await (const entry of entries) {
      const { feature, label } = entry;
      checkShape('Feature', feature, opts.forceSameShape ? featureShape : null, stage, count);
      featureShape ??= { height: feature.height, width: feature.width, channels: feature.channels };
      if (opts.forceSameShape) mean ??= new MeanAccumulator(feature.width, feature.height, feature.channels);
      features ??= await createDbWriter(path.join(stageDir, 'features'));
      const key = formatSequenceKey(count);
      if (isImage(label)) {
        checkShape('Label', label, opts.forceSameShape ? labelShape : null, stage, count);
        labelShape ??= { height: label.height, width: label.width, channels: label.channels };
        labels ??= await createDbWriter(path.join(stageDir, 'labels'));
        features.putKey(key, await imageDatum(feature, opts.featureEncoding, 0));
        labels.putKey(key, await imageDatum(label, opts.labelEncoding, 0));
      } else {
        // scalar labels ride in the feature Datum; arrays get their own DB of float Datums
        const arrayLabel = label.length > 1;
        features.putKey(key, await imageDatum(feature, opts.featureEncoding, arrayLabel ? 0 : Math.trunc(label[0] ?? 0)));
        if (arrayLabel) {
          labels ??= await createDbWriter(path.join(stageDir, 'labels'));
          const [channels, height, width] = entry.labelShape ?? [1, 1, label.length];
          labels.putKey(key, encodeDatum({ channels, height, width, label: 0, floatData: label, encoded: false }));
        }
      }
      mean?.add(feature.data);
      count++;
      opts.signal?.throwIfAborted();
      // entries are pulled one at a time; the writers' buffers are what could grow, and they are bounded
      await features.ready();
      await labels?.ready();
    }
  } finally {
    await features?.close();
    await labels?.close();
  }
  if (mean && count > 0) await fs.writeFile(path.join(stageDir, 'mean.binaryproto'), mean.toBlobProto());
  return { entryCount: count, featureDbPath: features ? `${stage}/features` : null, labelDbPath: labels ? `${stage}/labels` : null, featureShape };
}
