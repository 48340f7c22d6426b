/** Iteration arithmetic DIGITS writes into Caffe's solver (contract §8.4), in one place. */

export interface Schedule {
  itersPerEpoch: number;
  maxIter: number;
  /** Snapshot every this many iterations; 0 = only at the end. */
  snapshotEvery: number;
  /** Validate every this many iterations (and at the end). */
  testEvery: number;
  /** Report training outputs every this many iterations. */
  display: number;
}

/** Caffe's rule for an interval in epochs: ≤1 iteration → 1, inside training → floor, else `otherwise`. */
function intervalIters(epochs: number, itersPerEpoch: number, maxIter: number, otherwise: number): number {
  const v = epochs * itersPerEpoch;
  if (v > 0 && v <= 1) return 1;
  if (v > 1 && v < maxIter) return Math.floor(v);
  return otherwise;
}

export function scheduleOf(o: { trainEntries: number; batchSize: number; iterSize: number; epochs: number; snapshotInterval: number; valInterval: number }): Schedule {
  const perIter = o.batchSize * o.iterSize;
  const itersPerEpoch = Math.ceil(o.trainEntries / perIter);
  const maxIter = itersPerEpoch * o.epochs;
  return {
    itersPerEpoch,
    maxIter,
    snapshotEvery: intervalIters(o.snapshotInterval, itersPerEpoch, maxIter, 0),
    testEvery: intervalIters(o.valInterval, itersPerEpoch, maxIter, maxIter),
    display: Math.max(1, Math.min(Math.floor(maxIter / (o.epochs * 8)), Math.ceil(5000 / perIter))),
  };
}

/** DIGITS' epoch of an iteration: rounded to 3 places, an integer when whole (§9.2). */
export function epochOf(iteration: number, itersPerEpoch: number): number {
  return Math.round((iteration / itersPerEpoch) * 1000) / 1000;
}
