// The replica auto-tuner's decision from given step times: which iterations share their batch
// during the warm-up and the timing, and that replicas go only when sharing is not clearly faster.
import t from 'tap';
import { ReplicaTuner } from '../../packages/ml/src/train/replica-tuner.ts';

/** Runs iterations `first`…`last` with the given times; the iteration at which it said drop, if any. */
function run(tuner: ReplicaTuner, first: number, last: number, ms: (iter: number, shared: boolean) => number): { shared: number[]; dropAt: number | null } {
  const shared: number[] = [];
  let dropAt: number | null = null;
  for (let iter = first; iter <= last; iter++) {
    const shares = tuner.shares(iter);
    if (shares) shared.push(iter);
    if (tuner.took(iter, ms(iter, shares))) dropAt ??= iter;
  }
  return { shared, dropAt };
}

t.test('alone and shared alternate for ten iterations, then every batch is shared', async (t) => {
  const { shared } = run(new ReplicaTuner(1, true), 1, 14, () => 10);
  t.same(shared, [2, 4, 6, 8, 10, 11, 12, 13, 14]);
});

t.test('replicas go after the tenth iteration unless shared steps take under 90 % of solo ones', async (t) => {
  t.equal(run(new ReplicaTuner(1, true), 1, 14, (_, shared) => (shared ? 9.5 : 10)).dropAt, 10, 'barely faster shared: dropped');
  t.equal(run(new ReplicaTuner(1, true), 1, 14, (_, shared) => (shared ? 8 : 10)).dropAt, null, 'clearly faster shared: kept');
  t.equal(run(new ReplicaTuner(1, true), 1, 14, (iter, shared) => (shared ? (iter <= 4 ? 100 : 8) : 10)).dropAt, null, 'slow warm-up steps are not timed');
});

t.test('a resumed run tunes from its own first iteration', async (t) => {
  const { shared, dropAt } = run(new ReplicaTuner(101, true), 101, 112, (_, s) => (s ? 9.5 : 10));
  t.same(shared, [102, 104, 106, 108, 110, 111, 112]);
  t.equal(dropAt, 110);
});

t.test('without tuning every batch is shared and nothing is dropped', async (t) => {
  t.same(run(new ReplicaTuner(1, false), 1, 12, (_, s) => (s ? 100 : 1)), { shared: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12], dropAt: null });
});
