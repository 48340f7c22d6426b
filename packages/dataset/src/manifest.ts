/**
 * `dataset-manifest.json`: written last by a dataset build, so a dataset without one is
 * incomplete. Trainers and inference read shapes, labels and DB folders from it.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { compileChecker, DatasetManifest, Errors, MANIFEST_FILE } from '@digits-ts/contracts';
import type { DatasetManifest as Manifest } from '@digits-ts/contracts';

const checker = compileChecker(DatasetManifest);

/** Reads and validates a dataset job folder's manifest; DATASET_NOT_READY when there is none. */
export async function readDatasetManifest(jobDir: string): Promise<DatasetManifest> {
  let text: string;
  try {
    text = await fs.readFile(path.join(jobDir, MANIFEST_FILE), 'utf8');
  } catch (err) {
    throw Errors.DATASET_NOT_READY(`dataset ${path.basename(jobDir)} has no manifest; its build did not finish`, { cause: err });
  }
  return checker.parse(JSON.parse(text), `dataset ${path.basename(jobDir)} manifest`);
}

/** Publishes a finished build's manifest (the last file a build writes). */
export async function writeDatasetManifest(jobDir: string, manifest: Manifest): Promise<void> {
  await fs.writeFile(path.join(jobDir, MANIFEST_FILE), JSON.stringify(checker.parse(manifest, 'dataset manifest'), null, 1));
}

/** A stage database's folder: manifest paths are relative to the dataset folder unless absolute. */
export const stageDbPath = (jobDir: string, db: string): string => path.resolve(jobDir, db);
