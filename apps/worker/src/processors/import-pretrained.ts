/**
 * `import-pretrained`: turns the files of a pretrained-model job (§4.4) into our own snapshot
 * format, so inference and fine-tuning load it like any model's snapshot:
 * - Caffe: the deploy.prototxt (made trainable) is built, the .caffemodel's blobs are set on it
 *   (loadCaffeWeights), and the deploy graph is saved;
 * - our own download archive (§11.4): its TF.js snapshot is checked by loading it, then kept.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Job } from 'bullmq';
import { declaredInputShape, trainableCaffeText } from '@digits-ts/caffe';
import {
  Errors, payloadChecker, PRETRAINED_FILES, PRETRAINED_SNAPSHOT_DIR, type ModelState, type PretrainedOptions, type PretrainedParams, type ResultOf,
} from '@digits-ts/contracts';
import { backendInfo, buildCustomNetwork, loadCaffeWeights, loadMean, loadModel, MODEL_FILE, readCaffeModel, saveModel, WEIGHTS_FILE, type tfl } from '@digits-ts/ml';
import type { WorkerContext } from '../context.ts';
import { recordFailure, startJob } from './job-lifecycle.ts';

export const name = 'import-pretrained';

/** The labels file's lines, as DIGITS reads them (blank lines dropped). */
export async function readLabels(dir: string): Promise<string[]> {
  const text = await fs.readFile(path.join(dir, PRETRAINED_FILES.labels), 'utf8').catch(() => '');
  return text.split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== '');
}

interface Imported {
  network: NonNullable<PretrainedParams['network']>;
  image: PretrainedOptions['image'];
  inputShape: number[];
  layers: string[];
}

/** The image the deploy net declares wins over the form's size: it is what the weights were made for. */
function caffeImage(text: string, image: PretrainedOptions['image']): PretrainedOptions['image'] {
  const declared = declaredInputShape(text);
  if (!declared) return image;
  const [channels, height, width] = declared;
  if (channels !== 1 && channels !== 3) throw Errors.MODEL_SHAPE_MISMATCH(`the deploy input has ${channels} channels; images have 1 (grayscale) or 3 (color)`);
  return { ...image, channels, height, width };
}

async function importCaffe(dir: string, options: PretrainedOptions, classes: number | null, snapshotDir: string, labels: string[]): Promise<Imported> {
  const text = await fs.readFile(path.join(dir, PRETRAINED_FILES.prototxt), 'utf8');
  const image = caffeImage(text, options.image);
  const definition = trainableCaffeText(text);
  const weights = readCaffeModel(new Uint8Array(await fs.readFile(path.join(dir, PRETRAINED_FILES.caffemodel))));
  const built = await buildCustomNetwork(definition, [image.height, image.width, image.channels], classes);
  try {
    const { loaded } = loadCaffeWeights(built.model, weights);
    await saveModel(built.deploy, snapshotDir, { labels, outputs: built.outputs ?? built.deploy.outputNames, source: 'caffe' });
    return { network: { method: 'custom', definition }, image, inputShape: [image.height, image.width, image.channels], layers: loaded };
  } finally {
    built.model.dispose();
  }
}

async function importSnapshot(dir: string, options: PretrainedOptions, snapshotDir: string): Promise<Imported> {
  await fs.rm(snapshotDir, { recursive: true, force: true });
  await fs.mkdir(snapshotDir, { recursive: true });
  await fs.copyFile(path.join(dir, PRETRAINED_FILES.modelJson), path.join(snapshotDir, MODEL_FILE));
  await fs.copyFile(path.join(dir, PRETRAINED_FILES.weightsBin), path.join(snapshotDir, WEIGHTS_FILE));
  let model: tfl.LayersModel;
  try {
    model = await loadModel(snapshotDir);
  } catch (err) {
    throw Errors.CHECKPOINT_INVALID(`Bad snapshot in the archive: ${(err as Error).message}`, { cause: err });
  }
  try {
    const inputShape = model.inputs[0]!.shape.slice(1) as number[];
    const { image } = options;
    if (model.inputs.length !== 1 || inputShape.length !== 3 || inputShape[2] !== image.channels || inputShape[0]! > image.height || inputShape[1]! > image.width) {
      throw Errors.MODEL_SHAPE_MISMATCH(`the archive's model takes ${JSON.stringify(inputShape)} but its images are ${image.height}×${image.width}×${image.channels}`);
    }
    // the mean must fit the images now, not at the first classification
    if (options.useMean !== 'none') {
      await loadMean(path.join(dir, PRETRAINED_FILES.mean), { height: image.height, width: image.width, channels: image.channels }, options.useMean).catch((err: unknown) => {
        throw Errors.CHECKPOINT_INVALID(`Bad mean file in the archive: ${(err as Error).message}`, { cause: err });
      });
    }
    const topology = JSON.parse(await fs.readFile(path.join(snapshotDir, MODEL_FILE), 'utf8')) as { modelTopology: unknown };
    return { network: { method: 'custom', definition: JSON.stringify(topology.modelTopology) }, image, inputShape, layers: model.layers.filter((l) => l.weights.length > 0).map((l) => l.name) };
  } finally {
    model.dispose();
  }
}

export function createImportPretrainedProcessor(ctx: WorkerContext) {
  return async function process(job: Job): Promise<ResultOf<'import-pretrained'>> {
    const { jobId, options } = payloadChecker('import-pretrained').parse(job.data, 'import-pretrained payload');
    const started = await startJob(ctx, job, jobId);
    if ('result' in started) return started.result;
    const { log } = started;
    try {
      const dir = ctx.store.jobDir(jobId);
      const labels = options.hasLabels ? await readLabels(dir) : [];
      const snapshotDir = path.join(dir, PRETRAINED_SNAPSHOT_DIR);
      const imported = options.source === 'caffe'
        ? await importCaffe(dir, options, labels.length > 0 ? labels.length : null, snapshotDir, labels)
        : await importSnapshot(dir, options, snapshotDir);
      const model: ModelState = {
        engine: backendInfo(), snapshots: [{ epoch: options.epoch, dir: PRETRAINED_SNAPSHOT_DIR, worker: ctx.workerId }], trainOutputs: {}, valOutputs: {},
        epoch: options.epoch, imagesPerSecond: null, inputShape: imported.inputShape, batchSize: null, replicas: null,
      };
      await ctx.store.update(jobId, (r) => ({ ...r, model, params: { options: { ...options, image: imported.image }, network: imported.network } satisfies PretrainedParams }));
      await ctx.store.setStatus(jobId, 'D');
      log.info({ source: options.source, layers: imported.layers }, 'pretrained model imported');
      return { layers: imported.layers };
    } catch (err) {
      if (await recordFailure(ctx, jobId, err, log, 'import')) return { aborted: true };
      throw err;
    } finally {
      started.release();
    }
  };
}
