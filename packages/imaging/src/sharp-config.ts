import sharp from 'sharp';
import { assert, expected } from '@digits-ts/contracts';

/**
 * Sets sharp's process-wide options; call once per process (worker threads share them).
 * `concurrency`: libvips threads per image (1 suits many small images on few cores).
 * `cacheMemoryMb`: libvips operation cache; 0 turns it off (every image is new, so it rarely hits).
 */
export function configureSharp(opts: { concurrency?: number; cacheMemoryMb?: number }): void {
  const { concurrency, cacheMemoryMb } = opts;
  if (concurrency !== undefined) {
    assert(Number.isSafeInteger(concurrency) && concurrency > 0, () => expected('positive integer', 'concurrency', concurrency));
    sharp.concurrency(concurrency);
  }
  if (cacheMemoryMb !== undefined) {
    assert(Number.isFinite(cacheMemoryMb) && cacheMemoryMb >= 0, () => expected('non-negative number', 'cacheMemoryMb', cacheMemoryMb));
    sharp.cache(cacheMemoryMb === 0 ? false : { memory: cacheMemoryMb });
  }
}
