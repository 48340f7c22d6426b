/**
 * Turns a model form's network choice into a built network: a standard one, a custom layers
 * JSON, (method=previous) the previous model's architecture with its snapshot's weights, or
 * (method=pretrained) a pretrained-model job's network with its imported weights.
 */
import path from 'node:path';
import { Errors, snapshotOf, type JobRecord, type NetworkChoice, type PretrainedParams, type TrainModelOptions } from '@digits-ts/contracts';
import type { JobStore } from '@digits-ts/queue';
import { detectNetworkFormat, readLayersTopology, withClassifierWidth } from '@digits-ts/caffe';
import { buildCustomNetwork, buildStandardNetwork, loadPreviousWeights, type BuiltNetwork } from '@digits-ts/ml';

export interface ResolvedNetwork {
  network: BuiltNetwork;
  /** What it is, for the log and the job JSON: `lenet`, `custom`, `lenet (from <id> epoch 3)`. */
  description: string;
}

type RootChoice = Extract<NetworkChoice, { method: 'standard' | 'custom' }>;

/** The pretrained-model job `jobId`, imported (Done). */
async function pretrainedJob(store: JobStore, jobId: string): Promise<JobRecord & { params: PretrainedParams }> {
  const record = await store.get(jobId);
  if (!record || record.kind !== 'pretrained') throw Errors.JOB_NOT_FOUND(`pretrained model ${jobId} no longer exists`);
  const { network } = record.params as PretrainedParams;
  if (record.status !== 'D' || !network) throw Errors.MODEL_NOT_READY(`pretrained model ${jobId} has not been imported`);
  return record as JobRecord & { params: PretrainedParams };
}

/**
 * A pretrained network sized for the dataset's classes: its classifier (the prototxt's last
 * InnerProduct, the layers JSON's last Dense) gets `classes` outputs, so a pretrained model
 * fine-tunes on a dataset with another number of classes; that layer then starts fresh.
 */
function forClasses(choice: RootChoice, classes: number | null): RootChoice {
  if (choice.method !== 'custom' || classes === null) return choice;
  const detected = detectNetworkFormat(choice.definition);
  if ('refused' in detected) return choice;
  if (detected.format === 'prototxt') return { method: 'custom', definition: withClassifierWidth(choice.definition, classes) };
  const read = readLayersTopology(choice.definition);
  if ('problem' in read) return choice;
  const layers = (read.topology.config as { layers?: { class_name?: string; config?: { units?: number } }[] }).layers ?? [];
  const dense = [...layers].reverse().find((l) => l.class_name === 'Dense');
  if (!dense?.config || dense.config.units === classes) return choice;
  dense.config.units = classes;
  return { method: 'custom', definition: JSON.stringify(read.topology) };
}

/** Follows method=previous back to the standard, custom or pretrained network (sized for `classes`) at the start of the chain. */
async function rootChoice(store: JobStore, choice: NetworkChoice, classes: number | null): Promise<RootChoice> {
  let current: NetworkChoice = choice;
  const seen = new Set<string>();
  while (current.method === 'previous' || current.method === 'pretrained') {
    if (current.method === 'pretrained') return forClasses((await pretrainedJob(store, current.jobId)).params.network!, classes);
    if (seen.has(current.jobId)) throw Errors.NETWORK_INVALID('previous models form a cycle');
    seen.add(current.jobId);
    const record = await store.get(current.jobId);
    if (!record || record.kind !== 'model') throw Errors.JOB_NOT_FOUND(`previous model ${current.jobId} no longer exists`);
    current = (record.params as TrainModelOptions).network;
  }
  return current;
}

async function buildChoice(choice: RootChoice, inputShape: [number, number, number], classes: number | null, seed: number | undefined): Promise<BuiltNetwork> {
  if (choice.method === 'custom') return buildCustomNetwork(choice.definition, inputShape, classes, seed);
  if (classes === null) throw Errors.NETWORK_INVALID('generic models have no standard networks; use method=custom');
  try {
    return buildStandardNetwork(choice.name, { inputShape, classes, ...(seed !== undefined ? { seed } : {}) });
  } catch (err) {
    // too small an input for the network is the user's choice of dataset, not a crash
    throw Errors.MODEL_SHAPE_MISMATCH((err as Error).message, { cause: err });
  }
}

/**
 * Builds the network a model job asks for, with fine-tuning weights loaded when asked.
 * `classes` is null for generic datasets, whose labels are not classes.
 */
export async function resolveNetwork(store: JobStore, options: TrainModelOptions, inputShape: [number, number, number], classes: number | null): Promise<ResolvedNetwork> {
  const seed = options.randomSeed ?? undefined;
  const root = await rootChoice(store, options.network, classes);
  const network = await buildChoice(root, inputShape, classes, seed);
  const name = root.method === 'custom' ? 'custom' : root.name;
  const choice = options.network;
  if (choice.method === 'standard' || choice.method === 'custom' || (choice.method === 'previous' && choice.epoch === 0)) return { network, description: name };
  try {
    if (choice.method === 'pretrained') {
      const pretrained = await pretrainedJob(store, choice.jobId);
      const { copied } = await loadPreviousWeights(network, path.join(store.jobDir(pretrained.id), snapshotOf(pretrained, -1).dir));
      return { network, description: `${name} (from pretrained ${pretrained.id}: ${copied.length} layers)` };
    }
    const previous = (await store.get(choice.jobId)) as JobRecord;
    const snapshot = snapshotOf(previous, choice.epoch);
    await loadPreviousWeights(network, path.join(store.jobDir(previous.id), snapshot.dir));
    return { network, description: `${name} (from ${previous.id} epoch ${snapshot.epoch})` };
  } catch (err) {
    network.model.dispose();
    throw err;
  }
}
