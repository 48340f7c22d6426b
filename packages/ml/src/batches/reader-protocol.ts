/** Messages between streamed splits' read-aheads (`read-ahead.ts`, through `reader-thread.ts`) and the reader thread they share. */
import type { ImageShape } from './samples.ts';
import type { DecoderModule } from './stream.ts';

/** What the reader thread needs once per split: the DBs, and the ring of batch slots it writes. */
export interface SplitInit {
  dbDir: string;
  labelDb?: string;
  shape: ImageShape;
  targetSize?: number;
  decoder?: DecoderModule;
  /** Samples per slot (the batch size); slot s holds positions s·slotSize … (s+1)·slotSize − 1. */
  slotSize: number;
  /** The ring: HWC RGB pixels, Int32 labels, Float32 label vectors (with a label DB). */
  pixels: SharedArrayBuffer;
  labels: SharedArrayBuffer;
  targets?: SharedArrayBuffer;
  /** Int32 per slot: the ticket of the fill wanted there now; a fill whose ticket is no longer there is skipped. */
  wanted: SharedArrayBuffer;
}

/**
 * Open split `split` (its DBs and decoder); fill one of its slots with the dataset entries at
 * `indices`; close it. Handled one at a time in the order sent.
 */
export type ReaderCall =
  | { kind: 'open'; split: number; init: SplitInit }
  | { kind: 'fill'; split: number; slot: number; ticket: number; indices: number[] };
export type ReaderRequest = (ReaderCall & { id: number }) | { kind: 'close'; split: number };

/** Request `id` is done (a fill no longer wanted is skipped), or failed; id −1: the thread is ready. */
export type ReaderReply = { id: number; ok: true } | { id: number; ok: false; code?: string; message: string };
