/**
 * One stage of a generic dataset (contract §7.2): feature LMDB `<stage>/features` and, for array
 * labels, `<stage>/labels`, keys `%09d`, Caffe Datums; with force_same_shape the stage mean.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { Errors } from '@digits-ts/contracts';
import { createDbWriter, encodeDatum, formatSequenceKey, MeanAccumulator, pixelsToDatumData, WRITE_BATCH_SIZE } from '@digits-ts/dataset';
import { encodeImage } from '@digits-ts/imaging';

export type GenericStage = 'train_db' | 'val_db' | 'test_db';

/** One generated entry: an H×W×C uint8 feature and a float label (scalar or array). */
export interface GenericEntry { feature: Uint8Array; label: Float32Array }

export interface StageShape { height: number; width: number; channels: 1 | 3 }

export interface StageResult {
  entryCount: number;
  featureDbPath: string | null;
  labelDbPath: string | null;
}

async function featureDatum(entry: GenericEntry, shape: StageShape, encoding: 'none' | 'png' | 'jpg', label: number): Promise<Uint8Array> {
  const { height, width, channels } = shape;
  if (encoding === 'none') return encodeDatum({ channels, height, width, label, data: pixelsToDatumData(entry.feature, width, height, channels), encoded: false });
  const data = await encodeImage({ data: Buffer.from(entry.feature), width, height, channels }, encoding);
  return encodeDatum({ channels, height, width, label, data, encoded: true });
}

/** Writes `entries` into `<dir>/<stage>/…`; a stage with no entries writes nothing (§7.2). */
export async function writeGenericStage(dir: string, stage: GenericStage, entries: Iterable<GenericEntry>, shape: StageShape, opts: { encoding: 'none' | 'png' | 'jpg'; forceSameShape: boolean; signal?: AbortSignal }): Promise<StageResult> {
  const stageDir = path.join(dir, stage);
  let features: Awaited<ReturnType<typeof createDbWriter>> | null = null;
  let labels: Awaited<ReturnType<typeof createDbWriter>> | null = null;
  const mean = opts.forceSameShape ? new MeanAccumulator(shape.width, shape.height, shape.channels) : null;
  let count = 0;
  try {
    for (const entry of entries) {
      if (entry.feature.length !== shape.height * shape.width * shape.channels) throw Errors.DATASET_BUILD_FAILED(`entry ${count} of ${stage} has ${entry.feature.length} values, expected ${shape.height}x${shape.width}x${shape.channels}`);
      features ??= await createDbWriter(path.join(stageDir, 'features'));
      const arrayLabel = entry.label.length > 1;
      // scalar labels ride in the feature Datum; arrays get their own DB of float Datums
      features.putKey(formatSequenceKey(count), await featureDatum(entry, shape, opts.encoding, arrayLabel ? 0 : Math.trunc(entry.label[0] ?? 0)));
      if (arrayLabel) {
        labels ??= await createDbWriter(path.join(stageDir, 'labels'));
        labels.putKey(formatSequenceKey(count), encodeDatum({ channels: 1, height: 1, width: entry.label.length, label: 0, floatData: entry.label, encoded: false }));
      }
      mean?.add(entry.feature);
      count++;
      if (count % WRITE_BATCH_SIZE === 0) {
        opts.signal?.throwIfAborted();
        await features.flush();
        await labels?.flush();
      }
    }
  } finally {
    await features?.close();
    await labels?.close();
  }
  if (mean && count > 0) await fs.writeFile(path.join(stageDir, 'mean.binaryproto'), mean.toBlobProto());
  return { entryCount: count, featureDbPath: features ? `${stage}/features` : null, labelDbPath: labels ? `${stage}/labels` : null };
}
