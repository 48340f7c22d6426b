/** Walks sample indices epoch after epoch: reshuffled each time when asked, else in DB order. */
import { Errors } from '@digits-ts/contracts';
import { shuffleInPlace, type RandomSource } from '@digits-ts/dataset';

/** Where an epoch's sample order stands: the order, and how far into it the next batch starts. */
export interface OrderState { order: number[]; cursor: number }

export class EpochOrder {
  private order: number[];
  private cursor = 0;

  constructor(private readonly count: number, private readonly shuffle: boolean, private readonly random: RandomSource) {
    this.order = this.fresh();
  }

  private fresh(): number[] {
    const order = Array.from({ length: this.count }, (_, i) => i);
    return this.shuffle ? shuffleInPlace(order, this.random) : order;
  }

  /** Where this epoch stands, for a checkpoint. */
  state(): OrderState {
    return { order: [...this.order], cursor: this.cursor };
  }

  /** Continues from a checkpoint's state (the same dataset: the order must cover it). */
  restore(state: OrderState): void {
    if (state.order.length !== this.count) throw Errors.CHECKPOINT_INVALID(`the checkpoint's epoch covers ${state.order.length} samples, the dataset has ${this.count}`);
    this.order = [...state.order];
    this.cursor = state.cursor;
  }

  /**
   * The `n` indices `offset` places after the next one, without moving on, when they are known
   * already: in this epoch, or in any epoch when unshuffled (a later shuffle draws from the run's
   * random stream between batches, so its order is known only once the trainer gets there).
   */
  planned(offset: number, n: number): number[] | null {
    const out: number[] = [];
    for (let p = this.cursor + offset; out.length < n; p++) {
      if (p < this.order.length) out.push(this.order[p]!);
      else if (this.shuffle) return null;
      else out.push((p - this.order.length) % this.count);
    }
    return out;
  }

  /** The next `n` indices; a batch that crosses an epoch boundary continues into the next epoch, as Caffe's data layer does. */
  next(n: number): number[] {
    const out: number[] = [];
    while (out.length < n) {
      if (this.cursor === this.order.length) {
        this.order = this.fresh();
        this.cursor = 0;
      }
      out.push(this.order[this.cursor++]!);
    }
    return out;
  }
}
