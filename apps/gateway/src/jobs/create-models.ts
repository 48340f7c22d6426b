/**
 * Creating model jobs (contract §8): the form's references checked against the job store, one
 * record per sweep combination, and each job either queued (dataset Done) or left Waiting
 * until its dataset build ends.
 */
import { isRunningStatus, JOB_TYPES, newJobRecord, snapshotOf, type JobRecord, type TrainModelOptions } from '@digits-ts/contracts';
import { addFormError, type FormErrors, type ModelJobSpec, type ModelTask, type ParsedModelForm } from '../forms/index.ts';
import { addDatasetWaiter, enqueueTraining, listWorkers, settleDatasetWaiters, trainersWithGpuCount, trainersWithGpus, type PlacementDeps } from '@digits-ts/queue';
import { FormError } from '../plugins/errors.ts';
import type { Services } from '../services.ts';

const STALE_JOB = "Selected job doesn't exist. Maybe it was deleted by another user.";

/** Dataset types a model form accepts, and the model type it creates (§8.1). */
const KINDS = {
  classification: { datasets: [JOB_TYPES.imageClassificationDataset] as string[], model: JOB_TYPES.imageClassificationModel },
  generic: { datasets: [JOB_TYPES.genericDataset, JOB_TYPES.genericImageDataset] as string[], model: JOB_TYPES.genericImageModel },
};

/** Whether `dataset` can feed a model of `task`; a generic form under an extension's URL takes only that extension's datasets. */
function datasetFits(dataset: JobRecord, task: ModelTask, extension: string | null): boolean {
  if (!KINDS[task].datasets.includes(dataset.type)) return false;
  return extension === null || (dataset.params as { extension?: string } | null)?.extension === extension;
}

/** The dataset and previous-model fields name jobs; they must exist and be of the right kind. */
async function checkReferences(services: Services, form: ParsedModelForm, task: ModelTask, extension: string | null): Promise<JobRecord> {
  const errors: FormErrors = {};
  const dataset = await services.store.get(form.datasetId);
  const usable = dataset && dataset.kind === 'dataset' && datasetFits(dataset, task, extension) && (isRunningStatus(dataset.status) || dataset.status === 'D');
  if (!usable) addFormError(errors, 'dataset', 'Not a valid choice');
  const network = form.jobs[0]!.options.network;
  if (network.method === 'pretrained') {
    const pretrained = await services.store.get(network.jobId);
    if (!pretrained || pretrained.kind !== 'pretrained' || pretrained.status !== 'D') addFormError(errors, 'pretrained_networks', STALE_JOB);
  }
  if (network.method === 'previous') {
    const previous = await services.store.get(network.jobId);
    if (!previous || previous.kind !== 'model' || previous.type !== KINDS[task].model) addFormError(errors, 'previous_networks', STALE_JOB);
    else if (network.epoch !== 0) {
      // 0 asks for no weights; −1 for the newest snapshot, which must exist
      try {
        snapshotOf(previous, network.epoch);
      } catch (err) {
        addFormError(errors, 'previous_networks', `${network.jobId}-snapshot: ${(err as Error).message}`);
      }
    }
  }
  await checkGpus(services, form.jobs[0]!.options.gpus, errors);
  if (Object.keys(errors).length > 0) throw new FormError(errors);
  return dataset!;
}

/**
 * GPUs named explicitly (`select_gpus`, `select_gpus_list`, `select_gpu=<index>`) must be on a
 * live worker that trains; a count alone runs anywhere (on CPU where no worker has GPUs, §8.1),
 * but one job trains on one worker, so a count of 2 or more is 1..the most GPUs a live training
 * worker has (DIGITS: 1..the configured GPUs, 1 with none).
 */
async function checkGpus(services: Services, wanted: TrainModelOptions['gpus'], errors: FormErrors): Promise<void> {
  if (wanted.list.length === 0 && wanted.count <= 1) return;
  const workers = await listWorkers(services.redis, services.config.redis.prefix);
  if (wanted.list.length === 0) {
    if (trainersWithGpuCount(workers, wanted.count).length > 0) return;
    const most = Math.max(1, ...trainersWithGpus(workers, []).map((w) => w.gpus.length));
    addFormError(errors, 'select_gpu_count', `Number must be between 1 and ${most}.`);
    return;
  }
  if (trainersWithGpus(workers, wanted.list).length > 0) return;
  const have = trainersWithGpus(workers, []).filter((w) => w.gpus.length > 0).map((w) => `${w.host} has ${w.gpus.map((g) => g.index).join(', ')}`);
  addFormError(errors, 'select_gpus', `No live training worker has GPU${wanted.list.length > 1 ? 's' : ''} ${wanted.list.join(', ')}; ${have.length > 0 ? have.join('; ') : 'no live training worker has any GPU'}`);
}

function newModelRecord(id: string, username: string, form: ParsedModelForm, job: ModelJobSpec, waiting: boolean): JobRecord {
  // each job of a sweep saves its own learning rate and batch size, so its clone is that job (§1.5)
  const { learningRate, batchSize } = job.options;
  const saved = { ...form.saved, 'form.learning_rate.data': [learningRate], 'form.batch_size.data': batchSize === null ? null : [batchSize] };
  return newJobRecord({
    id, job: 'train-model', type: KINDS[job.options.task ?? 'classification'].model, name: job.name, group: form.group,
    username, form: saved, params: job.options, datasetId: form.datasetId, status: waiting ? 'W' : 'I', created: Date.now() / 1000,
  });
}

/** The gateway's side of settleDatasetWaiters (after an abort, or models created on a building dataset). */
export function settleWaitingModels(services: Services, datasetId: string): Promise<void> {
  return settleDatasetWaiters(placement(services), datasetId);
}

export const placement = (services: Services): PlacementDeps => ({ store: services.store, producer: services.producer, redis: services.redis, prefix: services.config.redis.prefix });

/** Creates one job per sweep combination; returns their records in form order. */
export async function createModels(services: Services, username: string, form: ParsedModelForm, task: ModelTask, extension: string | null): Promise<JobRecord[]> {
  const dataset = await checkReferences(services, form, task, extension);
  const waiting = dataset.status !== 'D';
  const { store, redis, config } = services;
  const records: JobRecord[] = [];
  for (const job of form.jobs) {
    const id = await store.reserveId();
    const record = newModelRecord(id, username, form, job, waiting);
    try {
      await store.create(record);
      if (waiting) await addDatasetWaiter(redis, config.redis.prefix, dataset.id, id);
      else await enqueueTraining(placement(services), record);
    } catch (err) {
      await store.remove(id);
      throw err;
    }
    records.push(record);
  }
  if (waiting) await settleWaitingModels(services, dataset.id);
  return records;
}
