// mapInOrder (apps/worker/src/in-order.ts): results in input order, never more than `limit` items
// pulled from the source ahead of the consumer, failures in their turn, the source closed.
import t from 'tap';
import { mapInOrder } from '../../apps/worker/src/in-order.ts';

/** Resolves after `ticks` turns of the event loop: later items can finish before earlier ones. */
const afterTicks = (ticks: number) => new Promise<void>((resolve) => {
  const step = (left: number) => (left === 0 ? resolve() : setImmediate(() => step(left - 1)));
  step(ticks);
});

t.test('yields in input order with at most `limit` items ahead of the consumer', async (t) => {
  let pulled = 0;
  let consumed = 0;
  let mostAhead = 0;
  let running = 0;
  let mostRunning = 0;
  function* source() {
    for (let i = 0; i < 200; i++) {
      pulled++;
      mostAhead = Math.max(mostAhead, pulled - consumed);
      yield i;
    }
  }
  const out: number[] = [];
  for await (const v of mapInOrder(source(), 5, async (i) => {
    running++;
    mostRunning = Math.max(mostRunning, running);
    await afterTicks((i * 7) % 4);
    running--;
    return i * 10;
  })) {
    out.push(v);
    consumed++;
    await afterTicks(1); // a consumer slower than some items
  }
  t.same(out, Array.from({ length: 200 }, (_, i) => i * 10));
  t.equal(mostAhead, 5, 'never more than 5 items pulled and not yet consumed');
  t.ok(mostRunning > 1 && mostRunning <= 5, `items overlap, at most 5 at once (${mostRunning})`);
});

t.test('takes async sources; a failure throws in its turn and closes the source', async (t) => {
  let closed = false;
  async function* source() {
    try {
      for (let i = 0; i < 100; i++) yield i;
    } finally {
      closed = true;
    }
  }
  const seen: number[] = [];
  await t.rejects((async () => {
    for await (const v of mapInOrder(source(), 3, async (i) => {
      if (i === 4) throw new Error('item 4 failed');
      await afterTicks(i % 2);
      return i;
    })) seen.push(v);
  })(), { message: 'item 4 failed' });
  t.same(seen, [0, 1, 2, 3], 'every earlier result first');
  t.ok(closed, 'the source was closed');
});

t.test('a consumer that stops early closes the source; a source that throws stops the loop', async (t) => {
  let closed = false;
  function* source() {
    try {
      for (let i = 0; ; i++) yield i;
    } finally {
      closed = true;
    }
  }
  for await (const v of mapInOrder(source(), 4, async (i) => i)) if (v === 10) break;
  t.ok(closed, 'an endless source is closed when the consumer breaks');

  function* failing() {
    yield 1;
    throw new Error('aborted');
  }
  await t.rejects((async () => { for await (const _ of mapInOrder(failing(), 2, async (i) => i)) void _; })(), { message: 'aborted' });
  await t.rejects(mapInOrder([], 0, async (i) => i).next(), RangeError);
});
