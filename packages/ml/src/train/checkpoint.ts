/**
 * Training checkpoints: everything a worker needs to continue a training where another stopped
 * (DIGITS issue #24) — every model weight (batch-norm statistics included), the optimizer's
 * slots and iteration count, the iteration reached and the epoch's sample order. One folder,
 * `<jobDir>/checkpoint/`, replaced atomically each time, so a kill -9 leaves the previous one.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { Errors } from '@digits-ts/contracts';
import { tf, tfl } from '../tf.ts';
import type { OrderState } from './epoch-order.ts';
import { writeFolderAtomically } from './snapshot.ts';

export const CHECKPOINT_DIR = 'checkpoint';
const STATE_FILE = 'state.json';
const TENSORS_FILE = 'tensors.bin';
const MODEL_PREFIX = 'model/';
const OPTIMIZER_PREFIX = 'optimizer/';

type NamedTensor = { name: string; tensor: tf.Tensor };

/** What a checkpoint says without its tensors (cheap to read: the worker plans a resume with it). */
export interface CheckpointInfo {
  /** Solver iterations applied to the weights. */
  iteration: number;
  /** DIGITS' fractional epoch of that iteration. */
  epoch: number;
  maxIter: number;
  /** Names of the trainable variables when saved, in the order the optimizer saw them. */
  variables: string[];
  order: OrderState;
  savedAt: string;
}

interface StateFile extends CheckpointInfo {
  specs: tf.io.WeightsManifestEntry[];
}

export interface CheckpointSource {
  model: tfl.LayersModel;
  optimizer: tf.Optimizer;
  variables: readonly tf.Variable[];
}

/** Writes the checkpoint of `source` at `info` into `<jobDir>/checkpoint/`. */
export async function saveCheckpoint(jobDir: string, source: CheckpointSource, info: Omit<CheckpointInfo, 'variables' | 'savedAt'>): Promise<void> {
  const optimizerWeights = await source.optimizer.getWeights();
  const named: NamedTensor[] = [
    ...source.model.weights.map((w, i) => ({ name: `${MODEL_PREFIX}${i}`, tensor: w.read() })),
    ...optimizerWeights.map((w) => ({ name: `${OPTIMIZER_PREFIX}${w.name}`, tensor: w.tensor })),
  ];
  try {
    const { data, specs } = await tf.io.encodeWeights(named);
    const state: StateFile = { ...info, variables: source.variables.map((v) => v.name), savedAt: new Date().toISOString(), specs };
    await writeFolderAtomically(path.join(jobDir, CHECKPOINT_DIR), async (staging) => {
      await fs.writeFile(path.join(staging, TENSORS_FILE), new Uint8Array(data));
      await fs.writeFile(path.join(staging, STATE_FILE), JSON.stringify(state));
    });
  } finally {
    // the iteration count is a fresh scalar; the slots belong to the optimizer
    if (optimizerWeights[0]?.name === 'iter') optimizerWeights[0].tensor.dispose();
  }
}

function readState(jobDir: string): Promise<StateFile> {
  return fs.readFile(path.join(jobDir, CHECKPOINT_DIR, STATE_FILE), 'utf8').then((text) => JSON.parse(text) as StateFile);
}

function infoOf({ specs: _specs, ...info }: StateFile): CheckpointInfo {
  return info;
}

/** The checkpoint's description, or null when the job has none. */
export async function readCheckpointInfo(jobDir: string): Promise<CheckpointInfo | null> {
  try {
    return infoOf(await readState(jobDir));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

/**
 * Loads the checkpoint into `target`: model weights by position, optimizer slots renamed from
 * the saved variable names to this process's (TF.js numbers variable names per process).
 */
export async function restoreCheckpoint(jobDir: string, target: CheckpointSource): Promise<CheckpointInfo> {
  const state = await readState(jobDir);
  const data = await fs.readFile(path.join(jobDir, CHECKPOINT_DIR, TENSORS_FILE));
  const tensors = tf.io.decodeWeights(new Uint8Array(data).buffer, state.specs);
  try {
    const modelTensors = state.specs.filter((s) => s.name.startsWith(MODEL_PREFIX)).map((s) => tensors[s.name]!);
    const ours = target.model.weights;
    const mismatch = modelTensors.length !== ours.length || modelTensors.some((t, i) => !tf.util.arraysEqual(t.shape, ours[i]!.shape as number[]));
    if (mismatch || state.variables.length !== target.variables.length) {
      throw Errors.CHECKPOINT_INVALID('the checkpoint does not fit this network; resume cannot continue it');
    }
    target.model.setWeights(modelTensors);
    const rename = new Map(state.variables.map((name, i) => [name, target.variables[i]!.name]));
    const slots = state.specs.filter((s) => s.name.startsWith(OPTIMIZER_PREFIX)).map((s) => {
      const saved = s.name.slice(OPTIMIZER_PREFIX.length);
      const owner = [...rename.keys()].filter((name) => saved.startsWith(`${name}/`)).sort((a, b) => b.length - a.length)[0];
      return { name: owner ? rename.get(owner)! + saved.slice(owner.length) : saved, tensor: tensors[s.name]! };
    });
    await target.optimizer.setWeights(slots);
  } finally {
    // setWeights copies model weights; optimizer slots became variables sharing the data
    tf.dispose(Object.values(tensors));
  }
  return infoOf(state);
}
