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
  return {
    threads,
    run: (task) => pool.run(task) as Promise<ChunkResult>,
    close: () => pool.destroy(),
  };
}
