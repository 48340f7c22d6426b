/**
 * Whether a training run keeps its replica threads. Replicas copy every weight and gradient each
 * step, which costs more than it saves for networks with many weights and little compute per
 * image: after a warm-up, the first iterations of a run are timed alternately alone and shared,
 * and the replicas are dropped unless sharing is clearly faster.
 */

/** Replicas stay only if shared steps take less than this fraction of solo steps. */
const REPLICA_GAIN = 0.9;
/** Iterations that warm both paths up (JIT, XNNPACK's packed weights), then iterations timed each way. */
const WARM_UP_ITERS = 4;
const TUNING_ITERS = 3;
/** The iteration after which the choice is made. */
const TUNING_END = WARM_UP_ITERS + 2 * TUNING_ITERS;

type Phase = 'warm-up' | 'solo' | 'shared' | 'done';

/**
 * Alone and shared alternate — during the warm-up, then while timing — so a drift in machine
 * load hits both alike; after TUNING_END the choice stands.
 */
function tuningPhase(iter: number): Phase {
  if (iter > TUNING_END) return 'done';
  const phase = iter % 2 === 1 ? 'solo' : 'shared';
  return iter <= WARM_UP_ITERS ? (phase === 'solo' ? 'warm-up' : 'shared') : phase;
}

export class ReplicaTuner {
  private soloMs = 0;
  private sharedMs = 0;

  /**
   * For a run whose first iteration is `first`; `tuning` false (no replicas, or kept on request)
   * shares every iteration and never drops.
   */
  constructor(private readonly first: number, private readonly tuning: boolean) {}

  private phase(iter: number): Phase {
    return this.tuning ? tuningPhase(iter - this.first + 1) : 'done';
  }

  /** Whether iteration `iter` shares its batch with the replicas. */
  shares(iter: number): boolean {
    const phase = this.phase(iter);
    return phase === 'shared' || phase === 'done';
  }

  /** Records that iteration `iter` took `ms`; true once, when the replicas should be dropped. */
  took(iter: number, ms: number): boolean {
    const phase = this.phase(iter);
    if (phase === 'solo') this.soloMs += ms;
    // by the run's iteration number: a resumed run counts its warm-up's shared iterations too
    if (phase === 'shared' && iter > WARM_UP_ITERS) this.sharedMs += ms;
    return this.tuning && iter - this.first + 1 === TUNING_END && this.sharedMs > this.soloMs * REPLICA_GAIN;
  }
}
