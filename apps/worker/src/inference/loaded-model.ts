/** A model snapshot loaded for inference, with what its inputs are prepared to (§10.1; `request-inputs.ts` prepares them). */
import path from 'node:path';
import { PRETRAINED_FILES, snapshotOf, type DatasetBuildOptions, type JobRecord, type PretrainedParams, type TrainModelOptions } from '@digits-ts/contracts';
import { loadMean, loadModel, readSnapshotMetadata, type ClusterStep, type InputPreparation, type tfl } from '@digits-ts/ml';
import type { JobStore } from '@digits-ts/queue';
import { readDatasetInputs } from '../training/dataset-inputs.ts';
import { readLabels } from '../processors/import-pretrained.ts';

export interface LoadedModel {
  model: tfl.LayersModel;
  epoch: number;
  labels: string[];
  /** The deploy outputs' names (Caffe blob names), in `model.outputs` order (§10.5). */
  outputs: string[];
  /** The dataset's image shape and resize mode: every input is prepared to it first. */
  image: { height: number; width: number; channels: 1 | 3; resizeMode: DatasetBuildOptions['resizeMode'] };
  prep: InputPreparation;
  /** DetectNet's clustering of two outputs into a box list (`bbox-list`), when the network declares it. */
  clusterDetections?: ClusterStep | null;
}

const NO_AUGMENTATION: TrainModelOptions['augmentation'] = { flip: 'none', quadRot: 'none', rot: 0, scale: 0, noise: 0, contrast: 0, whitening: false, hsv: null };

/**
 * A pretrained-model job's snapshot: its own labels, image size and mean; a model input smaller
 * than the images is the original model's centre crop.
 */
async function loadPretrained(store: JobStore, record: JobRecord, epoch: number): Promise<LoadedModel> {
  const { options } = record.params as PretrainedParams;
  const { height, width, channels, resizeMode } = options.image;
  const jobDir = store.jobDir(record.id);
  const snapshot = snapshotOf(record, epoch);
  const dir = path.join(jobDir, snapshot.dir);
  const model = await loadModel(dir);
  const stored = (await readSnapshotMetadata(dir)).outputs;
  const input = model.inputs[0]!.shape;
  const mean = options.useMean === 'none' ? null : await loadMean(path.join(jobDir, PRETRAINED_FILES.mean), { height, width, channels }, options.useMean);
  return {
    model, epoch: snapshot.epoch, labels: options.hasLabels ? await readLabels(jobDir) : [],
    outputs: Array.isArray(stored) ? stored.map(String) : model.outputNames,
    image: { height, width, channels, resizeMode },
    prep: { crop: input[1] !== height ? input[1]! : null, mean, augmentation: NO_AUGMENTATION },
  };
}

/** Loads `record`'s snapshot at `epoch` (−1 newest) and its dataset's preprocessing facts. */
export async function loadForInference(store: JobStore, record: JobRecord, epoch: number): Promise<LoadedModel> {
  if (record.kind === 'pretrained') return loadPretrained(store, record, epoch);
  const snapshot = snapshotOf(record, epoch);
  const options = record.params as TrainModelOptions;
  const datasetId = record.datasetId ?? '';
  const { manifest, shape, mean } = await readDatasetInputs(store, datasetId, options.useMean);
  const { height, width, channels } = shape;
  const dataset = await store.get(datasetId);
  const resizeMode = (manifest.resizeMode ?? (dataset?.params as DatasetBuildOptions | undefined)?.resizeMode ?? 'squash') as DatasetBuildOptions['resizeMode'];
  const dir = path.join(store.jobDir(record.id), snapshot.dir);
  const model = await loadModel(dir);
  const metadata = await readSnapshotMetadata(dir);
  const stored = metadata.outputs;
  return {
    model, epoch: snapshot.epoch, labels: manifest.labels,
    outputs: Array.isArray(stored) ? stored.map(String) : model.outputNames,
    image: { height, width, channels: channels as 1 | 3, resizeMode },
    prep: { crop: options.cropSize, mean, augmentation: options.augmentation },
    clusterDetections: (metadata.clusterDetections as ClusterStep | undefined) ?? null,
  };
}
