/** What training and inference both read from a model's dataset: its manifest, image shape and mean. */
import path from 'node:path';
import { Errors, type DatasetManifest, type TrainModelOptions } from '@digits-ts/contracts';
import { readDatasetManifest } from '@digits-ts/dataset';
import { loadMean, type ImageShape } from '@digits-ts/ml';
import type { JobStore } from '@digits-ts/queue';

export interface DatasetInputs {
  dir: string;
  manifest: DatasetManifest;
  shape: ImageShape;
  /** The mean per the model's `use_mean` (HWC RGB), or null. */
  mean: Float32Array | null;
}

export async function readDatasetInputs(store: JobStore, datasetId: string, useMean: TrainModelOptions['useMean']): Promise<DatasetInputs> {
  const dir = store.jobDir(datasetId);
  const manifest = await readDatasetManifest(dir);
  if (!manifest.stages.train || !manifest.imageDims) throw Errors.DATASET_NOT_READY(`dataset ${datasetId} has no train database`);
  const [height, width, channels] = manifest.imageDims;
  const shape = { height, width, channels };
  const mean = manifest.mean ? await loadMean(path.join(dir, manifest.mean), shape, useMean) : null;
  return { dir, manifest, shape, mean };
}
