/** The GPUs a worker may use, for the registry: CUDA_VISIBLE_DEVICES, named by nvidia-smi when it runs. */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { WorkerInfo } from '@digits-ts/contracts';

const run = promisify(execFile);

/** `index, name` of every GPU nvidia-smi lists; empty when it is absent or fails (CPU hosts). */
async function smiGpus(): Promise<WorkerInfo['gpus']> {
  try {
    const { stdout } = await run('nvidia-smi', ['--query-gpu=index,name', '--format=csv,noheader'], { timeout: 5000 });
    return stdout.split('\n').map((l) => l.trim()).filter(Boolean).map((line) => {
      const [index, ...name] = line.split(',');
      return { index: Number(index), name: name.join(',').trim() };
    }).filter((g) => Number.isInteger(g.index));
  } catch {
    return [];
  }
}

/** The visible GPUs: the indices `visible` names (when set), else every one nvidia-smi lists. */
export async function detectGpus(visible: string): Promise<WorkerInfo['gpus']> {
  const listed = await smiGpus();
  const wanted = visible.split(',').map((s) => s.trim()).filter((s) => /^\d+$/.test(s)).map(Number);
  if (visible.trim() === '') return listed;
  return wanted.map((index) => ({ index, name: listed.find((g) => g.index === index)?.name ?? `GPU ${index}` }));
}
