/** The image-thread pool: created once per process, shared by every build it runs. */
import { Piscina } from 'piscina';
import type { ChunkResult, ChunkTask } from './chunk.ts';

export interface ImagePool {
  run(task: ChunkTask): Promise<ChunkResult>;
  readonly threads: number;
  close(): Promise<void>;
}

/** Starts `threads` image threads. They inherit the process's loader (tsx) through execArgv. */
export function createImagePool(threads: number): ImagePool {
  const pool = new Piscina({
    filename: new URL('./image-thread.ts', import.meta.url).href,
    minThreads: threads,
    maxThreads: threads,
    idleTimeout: Number.POSITIVE_INFINITY,
  });
  const run = (task: ChunkTask) => pool.run(task) as Promise<ChunkResult>;
  // each thread loads tsx and sharp on its first task (~1 s); an empty chunk per thread pays
  // that at start-up instead of inside the first build
  const empty: ChunkTask = { paths: [], labels: [], options: { width: 1, height: 1, channels: 1, resizeMode: 'squash', encoding: 'none' }, maxPixels: 1, withSum: false, confineTo: null };
  void Promise.all(Array.from({ length: threads }, () => run(empty))).catch(() => undefined);
  return { threads, run, close: () => pool.destroy() };
}
