/**
 * Piscina thread of the dataset-scale bench's image generator: writes a batch of photo-like JPEGs
 * (each to a temporary name, then renamed, so an interrupted run never leaves a torn file).
 */
import fs from 'node:fs/promises';
import { configureSharp } from '@digits-ts/imaging';
import { photoJpeg } from './photos.ts';

export interface GenerateTask {
  seed: number;
  /** Image index and the file it goes to. */
  files: Array<[number, string]>;
}

// one thread per core, so one libvips thread per image
configureSharp({ concurrency: 1, cacheMemoryMb: 0 });

/** Writes the task's images; returns their total bytes. */
export default async function generate(task: GenerateTask): Promise<number> {
  let bytes = 0;
  for (const [index, file] of task.files) {
    const { jpeg } = await photoJpeg(index, task.seed);
    await fs.writeFile(`${file}.part`, jpeg);
    await fs.rename(`${file}.part`, file);
    bytes += jpeg.length;
  }
  return bytes;
}
