/**
 * `dataset-manifest.json`: written last by a dataset build, so a dataset without one is
 * incomplete. Trainers and inference read shapes, labels and DB folders from it.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { compileChecker, DatasetManifest, Errors, MANIFEST_FILE } from '@digits-ts/contracts';

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
