/** The image-thread pool: created once per process, shared by every build it runs. */
import { Piscina } from 'piscina';
import type { ChunkResult, ChunkTask } from './chunk.ts';

/**
 * Images each thread prepares at once: while one is inside libvips (on a libuv thread) the other
 * runs its JS (PNG deflate, mean sum, Datum), so a thread per core keeps its core busy; one at a
 * time left a fifth of the cores idle in bench/dataset-scale (1.6 of 2 cores busy, 1.8 with two).
 */
export const IMAGES_IN_FLIGHT = 2;

/** libuv's threadpool, which runs every sharp pipeline: sized once, at process start. */
function threadpoolSize(): number {
  return Number(process.env.UV_THREADPOOL_SIZE) || 4;
}

/** The UV_THREADPOOL_SIZE a process running `threads` image threads wants: theirs plus libuv's default 4 for file and DNS work. */
export function threadpoolFor(threads: number): number {
  return threads * IMAGES_IN_FLIGHT + 4;
}

export interface ImagePool {
  run(task: ChunkTask): Promise<ChunkResult>;
  readonly threads: number;
  close(): Promise<void>;
}

/** Starts `threads` image threads. They inherit the process's loader (tsx) through execArgv. */
export function createImagePool(threads: number): ImagePool {
  if (threadpoolSize() < threads * IMAGES_IN_FLIGHT) {
    // sharp's pipelines would queue for libuv's 4 threads: on 16 cores, about 4 would decode
    process.emitWarning(`UV_THREADPOOL_SIZE ${threadpoolSize()} runs fewer sharp pipelines at a time than the ${threads * IMAGES_IN_FLIGHT} that ${threads} image threads keep in flight; start the process with UV_THREADPOOL_SIZE=${threadpoolFor(threads)}`);
  }
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
