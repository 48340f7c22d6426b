/**
 * Bounded, order-keeping concurrency over a stream of work (the dataset build's image chunks,
 * inference inputs, generic image pairs): memory stays the same whatever the stream's length.
 */

/**
 * `work` applied to each item of `items`, results yielded in input order. Items are pulled
 * lazily: at most `limit` of them are started and not yet handed to the consumer, so a slow
 * consumer (an LMDB write, a forward pass) holds the source back instead of letting results pile
 * up. A failed `work` throws when its turn comes; the source is closed (`return()`) however the
 * loop ends, so a generator over an open DB gets to close it.
 */
export async function* mapInOrder<T, R>(items: Iterable<T> | AsyncIterable<T>, limit: number, work: (item: T, index: number) => Promise<R>): AsyncGenerator<R, void, undefined> {
  if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`limit must be a positive integer, got ${limit}`);
  const source: Iterator<T> | AsyncIterator<T> = Symbol.asyncIterator in items ? items[Symbol.asyncIterator]() : items[Symbol.iterator]();
  const pending: Array<Promise<R>> = [];
  let index = 0;
  let exhausted = false;
  try {
    for (;;) {
      while (!exhausted && pending.length < limit) {
        const next = await source.next();
        if (next.done) {
          exhausted = true;
          break;
        }
        const item = next.value;
        const at = index++;
        const started = (async () => work(item, at))(); // a synchronous throw becomes this item's failure
        // its failure is thrown in its turn; one never reached (the loop ended) is not "unhandled"
        started.catch(() => undefined);
        pending.push(started);
      }
      const head = pending.shift();
      if (!head) return;
      yield await head;
    }
  } finally {
    if (!exhausted) await source.return?.();
  }
}
