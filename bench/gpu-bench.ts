/**
 * What the GPU benchmarks (bench/train-gpu, bench/train-multigpu) share: MNIST from the raw file
 * that device.sh carries to the device machine, and the Python that runs their PyTorch anchors.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs/promises';
import { readMnist, type Mnist } from '../scripts/mnist.ts';

/** MNIST train: from `file` (device.sh's mnist.bin, every image then every label) or the IDX files. */
export async function loadMnist(file: string | undefined): Promise<Mnist> {
  if (!file) return readMnist('train');
  const raw = await fs.readFile(file);
  const count = raw.length / 785;
  return { images: raw.subarray(0, count * 784), labels: raw.subarray(count * 784), count };
}

/** `explicit`, else the first Python that has torch: PYTHON, python3 (the device machine's), Debian's. */
export function torchPython(explicit: string | undefined): string | undefined {
  return explicit ?? [process.env.PYTHON, 'python3', '/usr/bin/python3'].filter((p): p is string => !!p)
    .find((p) => spawnSync(p, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0);
}
