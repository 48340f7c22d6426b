/** The message shapes between the build's main thread and its image threads. */
import type { DatasetBuildOptions } from '@digits-ts/contracts';

/** A slice of an image list for one thread. */
export interface ChunkTask {
  paths: string[];
  labels: number[];
  options: Pick<DatasetBuildOptions, 'width' | 'height' | 'channels' | 'resizeMode' | 'encoding'>;
  maxPixels: number;
  /** Sum the pixels for the mean image (train DB only). */
  withSum: boolean;
  /** Resolve symlinks and refuse paths outside these roots (textfile lists); null = trusted paths. */
  confineTo: string[] | null;
}

/** One thread's answer; Datums are packed into one buffer to keep the message cheap. */
export interface ChunkResult {
  /** Concatenated Datum protobufs, one per written image, in input order. */
  datums: Uint8Array;
  /** End offset of each Datum in `datums`. */
  ends: Uint32Array;
  /** Input positions of the written images (skipped ones are absent). */
  positions: Uint32Array;
  /** Per-pixel HWC sums of the written images, when asked. */
  sum: Float64Array | null;
  failures: Array<{ source: string; code: string; message: string }>;
  /** Images whose encoded bytes were reused as they were. */
  reused: number;
}
