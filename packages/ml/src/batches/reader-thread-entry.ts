/**
 * The reader thread of streamed splits: fills the ring slots the trainer asks for, one request
 * at a time in the order they came (the trainer asks for its next batch first), with the
 * entries' pixels (placed by `loadSamples`' own DatumPlacer, encoded ones decoded by the decoder
 * module) and labels.
 */
import { parentPort } from 'node:worker_threads';
import { assert, expected, isAppError } from '@digits-ts/contracts';
import { decodeDatum, openDbIndex, type DbIndex } from '@digits-ts/dataset';
import { DatumPlacer, labelValues, type DecodeImages } from './samples.ts';
import type { ReaderReply, ReaderRequest, SplitInit } from './reader-protocol.ts';

/** Encoded images decoded at once: the decoder spreads them over its threads; more would only hold memory. */
const DECODE_CHUNK = 32;

interface OpenSplit {
  init: SplitInit;
  features: DbIndex;
  labelIndex: DbIndex | null;
  decode: DecodeImages;
  pixels: Uint8Array;
  labels: Int32Array;
  targets: Float32Array | null;
  wanted: Int32Array;
}

const splits = new Map<number, OpenSplit>();
/** Decoders by module and options, made once. */
const decoders = new Map<string, DecodeImages>();

async function decoderOf(init: SplitInit): Promise<DecodeImages> {
  const { decoder, dbDir } = init;
  if (!decoder) return () => Promise.reject(new Error(`${dbDir} holds encoded images, and no decoder was given to read them`));
  const key = JSON.stringify(decoder);
  if (!decoders.has(key)) {
    const module = (await import(decoder.url)) as { createDecoder(options: unknown): DecodeImages };
    decoders.set(key, module.createDecoder(decoder.options));
  }
  return decoders.get(key)!;
}

async function open(init: SplitInit): Promise<OpenSplit> {
  const features = openDbIndex(init.dbDir);
  try {
    const decode = await decoderOf(init);
    return {
      init, features, decode,
      labelIndex: init.labelDb ? openDbIndex(init.labelDb) : null,
      pixels: new Uint8Array(init.pixels), labels: new Int32Array(init.labels),
      targets: init.targets ? new Float32Array(init.targets) : null, wanted: new Int32Array(init.wanted),
    };
  } catch (err) {
    features.close();
    throw err;
  }
}

async function fill(s: OpenSplit, slot: number, ticket: number, indices: number[]): Promise<void> {
  const { slotSize, labelDb } = s.init;
  const targetSize = s.init.targetSize ?? 1;
  // one per request: images left pending by a batch no longer wanted are dropped with it
  const placer = new DatumPlacer(s.pixels, s.init.shape, s.decode, s.init.dbDir, DECODE_CHUNK);
  for (const [k, index] of indices.entries()) {
    // the trainer no longer wants this batch (its order changed, or it closed): leave the rest unread
    if (Atomics.load(s.wanted, slot) !== ticket) return;
    const at = slot * slotSize + k;
    const datum = decodeDatum(s.features.value(index));
    s.labels[at] = datum.label;
    await placer.put(at, index, datum);
    if (s.labelIndex) {
      const values = await labelValues(decodeDatum(s.labelIndex.value(index)), s.decode);
      assert(values.length === targetSize, () => expected(`${targetSize} label values`, `entry ${index} of ${labelDb}`, values.length));
      s.targets!.set(values, at * targetSize);
    }
  }
  await placer.finish();
}

function close(split: number): void {
  const s = splits.get(split);
  splits.delete(split);
  s?.features.close();
  s?.labelIndex?.close();
}

async function handle(request: ReaderRequest): Promise<void> {
  if (request.kind === 'close') return close(request.split);
  let reply: ReaderReply = { id: request.id, ok: true };
  try {
    if (request.kind === 'open') splits.set(request.split, await open(request.init));
    else await fill(splits.get(request.split)!, request.slot, request.ticket, request.indices);
  } catch (err) {
    reply = { id: request.id, ok: false, ...(isAppError(err) ? { code: err.code } : {}), message: (err as Error).message ?? String(err) };
  }
  parentPort!.postMessage(reply);
}

const queue: ReaderRequest[] = [];
let draining = false;
async function drain(): Promise<void> {
  if (draining) return;
  draining = true;
  while (queue.length > 0) await handle(queue.shift()!);
  draining = false;
}

parentPort!.on('message', (request: ReaderRequest) => {
  queue.push(request);
  void drain();
});
parentPort!.postMessage({ id: -1, ok: true } satisfies ReaderReply);
