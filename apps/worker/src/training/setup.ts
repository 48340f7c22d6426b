/** Everything a training needs, read from the model's dataset and form (contract §8, §13). */
import path from 'node:path';
import { Errors, type DatasetManifest, type JobRecord, type TrainModelOptions } from '@digits-ts/contracts';
import { createRandom, stageDbPath } from '@digits-ts/dataset';
import { backendInfo, inMemoryBytes, inputShapeOf, loadSamples, streamedSplit, type BuiltNetwork, type Split, type SplitInfo, type TrainSetup } from '@digits-ts/ml';
import type { WorkerContext } from '../context.ts';
import { readDatasetInputs } from './dataset-inputs.ts';
import { trainingGpus } from '../gpus.ts';
import { datumDecoder, decoderModule } from './decode.ts';
import { resolveNetwork } from './network.ts';

export interface PreparedTraining {
  setup: TrainSetup;
  /** The GPUs it trains on (webgpu): the trainer thread's first, then each replica thread's. */
  gpus: WorkerContext['gpus']['visible'];
  description: string;
  labels: string[];
}

function checkCrop(crop: number | null, height: number, width: number): void {
  // DIGITS checks this when the task starts and fails the task (§8.1)
  if (crop !== null && crop > Math.min(height, width)) throw Errors.MODEL_SHAPE_MISMATCH(`crop_size ${crop} is larger than the dataset's images (${height}x${width})`);
}

/** A regression head must output as many values as each label vector holds. */
function checkTargets(network: BuiltNetwork, samples: SplitInfo): void {
  network.model.outputs.forEach((output, i) => {
    const head = network.heads[i]!;
    const kind = head.kind ?? 'softmax';
    // detection heads compare grids made from the label rows, not the rows themselves
    if (kind === 'softmax' || head.target) return;
    // a segmentation head scores every channel of each pixel; its label holds one class per pixel
    const shape = kind === 'pixel-softmax' ? output.shape.slice(1, -1) : output.shape.slice(1);
    const values = shape.reduce<number>((n, d) => n * (d ?? 1), 1);
    const size = samples.targetSize ?? 1;
    if (values !== size) {
      network.model.dispose();
      throw Errors.MODEL_SHAPE_MISMATCH(`the network's "${head.loss}" output has ${values} values but the dataset's labels have ${size}`);
    }
  });
}

/** Reads the dataset, builds the network and resolves DIGITS' defaults for one model job. */
export async function prepareTraining(ctx: WorkerContext, record: JobRecord, datasetId: string, options: TrainModelOptions, signal: AbortSignal): Promise<PreparedTraining> {
  const { dir: datasetDir, manifest, shape, mean } = await readDatasetInputs(ctx.store, datasetId, options.useMean);
  checkCrop(options.cropSize, shape.height, shape.width);
  const generic = manifest.kind === 'generic';
  const classes = generic ? null : manifest.labels.length;
  const decode = datumDecoder(ctx.config.imageMaxPixels);
  const decoder = decoderModule(ctx.config.imageMaxPixels);
  // in memory while the decoded splits fit the budget (train first: every step reads it), else streamed
  let inMemory = 0;
  const load = async (stage: NonNullable<DatasetManifest['stages']['train']>): Promise<Split> => {
    const db = stageDbPath(datasetDir, stage.db);
    const labelDb = stage.labelDb ? stageDbPath(datasetDir, stage.labelDb) : undefined;
    const streamed = streamedSplit(db, shape, { decoder, ...(labelDb ? { labelDb } : {}) });
    if (inMemory + inMemoryBytes(streamed) > ctx.config.trainInMemoryMaxBytes) return streamed;
    inMemory += inMemoryBytes(streamed);
    return loadSamples(db, shape, decode, signal, labelDb);
  };
  const trainSamples = await load(manifest.stages.train!);
  if (trainSamples.count === 0) throw Errors.DATASET_NOT_READY(`dataset ${datasetId} has no training images`);
  const val = manifest.stages.val ? await load(manifest.stages.val) : null;
  const probeShape = inputShapeOf(shape, options.cropSize);
  const { network, description } = await resolveNetwork(ctx.store, options, probeShape, classes);
  checkTargets(network, trainSamples);
  const defaults = network.defaults;
  const crop = options.cropSize;
  const devices = trainingGpus(options.gpus, backendInfo(), ctx.gpus.visible, ctx.gpus.host);
  const engine = backendInfo()?.name ?? 'cpu';
  return {
    description,
    gpus: devices.gpus,
    labels: manifest.labels,
    setup: {
      network, train: trainSamples, val, options,
      batchSize: options.batchSize ?? defaults.batchSize,
      valBatchSize: options.batchSize ?? defaults.valBatchSize,
      crop, mirror: defaults.mirror, mean,
      jobDir: ctx.store.jobDir(record.id),
      metadata: {
        labels: manifest.labels,
        outputs: network.outputs ?? network.deploy.outputNames,
        ...(network.detection ? { clusterDetections: network.detection.cluster } : {}),
        preprocessing: { imageDims: manifest.imageDims, crop, useMean: options.useMean, meanFile: manifest.mean, whitening: options.augmentation.whitening },
      },
      random: createRandom(options.randomSeed ?? Date.now() >>> 0),
      // native TensorFlow already uses every core (or the GPU); replicas help wasm and cpu, and
      // on webgpu carry the batch to the further GPUs the job asked for (kept: it asked for them)
      threads: ['wasm', 'cpu'].includes(engine) ? ctx.config.trainThreads : 1 + devices.replicaGpus.length,
      ...(devices.replicaGpus.length > 0 ? { replicaGpus: devices.replicaGpus, keepThreads: true } : {}),
    },
  };
}
