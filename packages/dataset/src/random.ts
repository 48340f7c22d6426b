/** Seeded randomness for reproducible splits and shuffles. */
import { assert, expected } from '@digits-ts/contracts';

/** A source of uniform floats in [0, 1), like `Math.random`. */
export type RandomSource = () => number;

/**
 * mulberry32: a small, fast 32-bit PRNG. Good enough for shuffling file lists;
 * not for anything security-related. The same seed always gives the same sequence.
 */
export function createRandom(seed: number): RandomSource {
  assert(Number.isFinite(seed), () => expected('finite number', 'seed', seed));
  let state = Math.trunc(seed) >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Fisher–Yates shuffle of `array` in place, drawing from `random`; returns the same array. */
export function shuffleInPlace<T>(array: T[], random: RandomSource): T[] {
  for (let i = array.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const tmp = array[i] as T;
    array[i] = array[j] as T;
    array[j] = tmp;
  }
  return array;
}
