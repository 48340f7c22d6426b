// Inference inputs in chunks (apps/worker/src/inference/request-inputs.ts): an infer_db request
// pulls its inputs only as chunks are taken, so memory holds one chunk whatever the DB's size;
// samples, errors and thumbnails come out as one pass over every input gives them.
import t from 'tap';
import { Errors, MAX_THUMBNAILS, type ClassifiedImage } from '@digits-ts/contracts';
import { addThumbnails, chunkSamples, PREPARE_CONCURRENCY, preparedChunks, type PendingInput } from '../../apps/worker/src/inference/request-inputs.ts';

const shape = { height: 2, width: 3, channels: 1 as const };
const size = 6;
const collect = async <T>(it: AsyncIterable<T>) => {
  const out: T[] = [];
  for await (const v of it) out.push(v);
  return out;
};
const afterTicks = (ticks: number) => new Promise<void>((resolve) => {
  const step = (left: number) => (left === 0 ? resolve() : setImmediate(() => step(left - 1)));
  step(ticks);
});

/** `count` inputs whose pixels are their index (mod 256); every 17th cannot be read. */
function inputs(count: number, counter: { pulled: number }): Generator<PendingInput> {
  return (function* () {
    for (let i = 0; i < count; i++) {
      counter.pulled++;
      yield {
        result: { source: `k${i}`, label: null },
        pixels: async () => {
          await afterTicks(i % 3); // later inputs may be ready first
          if (i % 17 === 5) throw Errors.IMAGE_NOT_FOUND(`k${i} is gone`);
          return new Uint8Array(size).fill(i % 256);
        },
      };
    }
  })();
}

t.test('chunks of whole batches, in input order, never more than a chunk and PREPARE_CONCURRENCY inputs read ahead', async (t) => {
  const counter = { pulled: 0 };
  const total = 1000;
  const perChunk = 64;
  const { results, chunks } = preparedChunks(inputs(total, counter), shape, perChunk);
  let mostAhead = 0;
  let expectedFirst = 0;
  const sizes: number[] = [];
  const samples: number[] = [];
  let misplaced = 0;
  for await (const chunk of chunks) {
    t.equal(chunk.first, expectedFirst);
    expectedFirst += chunk.samples.count;
    sizes.push(chunk.samples.count);
    t.equal(chunk.samples.pixels.length, chunk.samples.count * size);
    chunk.used.forEach((index, k) => {
      samples.push(index);
      if (chunk.samples.pixels[k * size] !== index % 256) misplaced++;
    });
    // everything up to this chunk's last input is consumed; what was pulled beyond it is read-ahead
    mostAhead = Math.max(mostAhead, counter.pulled - (chunk.used.at(-1)! + 1));
  }
  const usable = Array.from({ length: total }, (_, i) => i).filter((i) => i % 17 !== 5);
  t.same(samples, usable, 'every usable input once, in order');
  t.equal(misplaced, 0, 'each sample holds its own input\'s pixels');
  t.same(sizes, [...Array(Math.floor(usable.length / perChunk)).fill(perChunk), usable.length % perChunk], 'full chunks, then the rest');
  t.ok(mostAhead <= PREPARE_CONCURRENCY, `at most ${PREPARE_CONCURRENCY} inputs pulled past a chunk (${mostAhead})`);
  t.equal(results.length, total);
  t.same(results.filter((r) => r.error).map((r) => r.source), Array.from({ length: total }, (_, i) => i).filter((i) => i % 17 === 5).map((i) => `k${i}`));
  t.match(results[5]!.error, { code: 'IMAGE_NOT_FOUND', message: 'k5 is gone' });
});

t.test('a request with no usable input yields no chunk; a non-AppError fails it', async (t) => {
  const none = preparedChunks([{ result: { source: 'x', label: null }, pixels: () => Promise.reject(Errors.IMAGE_NOT_FOUND('x')) }], shape, 64);
  t.same(await collect(none.chunks), []);
  t.equal(none.results[0]!.error?.code, 'IMAGE_NOT_FOUND');
  const broken = preparedChunks([{ result: { source: 'y', label: null }, pixels: () => Promise.reject(new TypeError('bug')) }], shape, 64);
  await t.rejects(collect(broken.chunks), TypeError);
});

t.test('chunk sizes are whole inference batches, about 64 MiB of pixels', async (t) => {
  t.equal(chunkSamples({ height: 256, width: 256, channels: 3 }) % 64, 0);
  t.ok(chunkSamples({ height: 256, width: 256, channels: 3 }) * 256 * 256 * 3 <= 64 << 20);
  t.equal(chunkSamples({ height: 4096, width: 4096, channels: 3 }), 64, 'at least one batch');
  t.ok(chunkSamples({ height: 28, width: 28, channels: 1 }) > 10_000, 'small images: one chunk for most requests');
});

t.test('thumbnails stop at the request\'s MAX_THUMBNAILS-th sample, across chunks', async (t) => {
  const results: ClassifiedImage[] = [{ source: 'a', label: null }, { source: 'b', label: null }];
  const samples = { ...shape, count: 2, pixels: new Uint8Array(2 * size).fill(9), labels: new Int32Array(2) };
  await addThumbnails({ samples, used: [0, 1], results, first: MAX_THUMBNAILS - 1 }, { ...shape, resizeMode: 'squash' });
  t.equal(results[0]!.thumbnail?.mime, 'image/png', `the ${MAX_THUMBNAILS}th sample gets one`);
  t.equal(results[1]!.thumbnail, undefined, 'the next does not');
});
