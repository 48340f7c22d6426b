/**
 * Snapshots in TF.js layers format: `<dir>/model.json` + `<dir>/weights.bin`, loadable with plain
 * `tf.loadLayersModel` (tfjs-node's file:// handler is not available on wasm, so we write them).
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { tf, tfl } from '../tf.ts';

export const MODEL_FILE = 'model.json';
export const WEIGHTS_FILE = 'weights.bin';

/** Writes `model` into `dir` (created), atomically: a half-written snapshot never appears. */
export async function saveModel(model: tfl.LayersModel, dir: string, userDefinedMetadata?: Record<string, unknown>): Promise<void> {
  await writeFolderAtomically(dir, (staging) => model.save(tf.io.withSaveHandler(async (artifacts) => {
    const weightData = tf.io.CompositeArrayBuffer.join(artifacts.weightData);
    await fs.writeFile(path.join(staging, WEIGHTS_FILE), new Uint8Array(weightData));
    const json = {
      modelTopology: artifacts.modelTopology,
      format: artifacts.format,
      generatedBy: artifacts.generatedBy,
      convertedBy: artifacts.convertedBy,
      ...(userDefinedMetadata ? { userDefinedMetadata } : {}),
      weightsManifest: [{ paths: [`./${WEIGHTS_FILE}`], weights: artifacts.weightSpecs }],
    };
    await fs.writeFile(path.join(staging, MODEL_FILE), JSON.stringify(json));
    return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
  })));
}

/**
 * Fills `<dir>.partial` with `write`, then swaps it in for `dir`: a reader (or a worker killed
 * mid-write) sees the old folder or the new one, never half of one.
 */
export async function writeFolderAtomically(dir: string, write: (staging: string) => Promise<unknown>): Promise<void> {
  const staging = `${dir}.partial`;
  await fs.rm(staging, { recursive: true, force: true });
  await fs.mkdir(staging, { recursive: true });
  await write(staging);
  await fs.rm(dir, { recursive: true, force: true });
  await fs.rename(staging, dir);
}

/** Loads a model written by `saveModel` (or any single-shard TF.js layers model folder). */
export async function loadModel(dir: string): Promise<tfl.LayersModel> {
  const json = JSON.parse(await fs.readFile(path.join(dir, MODEL_FILE), 'utf8')) as { modelTopology: object; weightsManifest: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[] };
  const buffers: Buffer[] = [];
  const specs: tf.io.WeightsManifestEntry[] = [];
  for (const group of json.weightsManifest) {
    for (const shard of group.paths) {
      // shard names come from the file; keep them inside the folder
      buffers.push(await fs.readFile(path.join(dir, path.basename(shard))));
    }
    specs.push(...group.weights);
  }
  const weightData = new Uint8Array(Buffer.concat(buffers)).buffer;
  return tfl.loadLayersModel(tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: specs, weightData }));
}

/** The metadata `saveModel` stored with a snapshot (labels, preprocessing, output names). */
export async function readSnapshotMetadata(dir: string): Promise<Record<string, unknown>> {
  const json = JSON.parse(await fs.readFile(path.join(dir, MODEL_FILE), 'utf8')) as { userDefinedMetadata?: Record<string, unknown> };
  return json.userDefinedMetadata ?? {};
}
