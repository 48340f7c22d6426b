/**
 * A dataset split held in memory as uint8 HWC RGB pixels plus labels, read once from its LMDB
 * (Caffe Datums) so every epoch reshuffles and augments without touching the disk again.
 */
import { assert, expected } from '@digits-ts/contracts';
import { datumDataToPixels, decodeDatum, openDbReader, type Datum } from '@digits-ts/dataset';

/** Decodes encoded (PNG/JPEG) Datum payloads to HWC pixels of the dataset's shape; throws AppErrors. */
export type DecodeImages = (encoded: Uint8Array[], shape: ImageShape) => Promise<Uint8Array[]>;

export interface ImageShape { height: number; width: number; channels: number }

/** What training needs to know of a split before reading it: its shape, size and label vectors' size. */
export interface SplitInfo extends ImageShape {
  count: number;
  /** Values per label vector (generic datasets with a label DB); absent: the class label is the one value. */
  targetSize?: number;
}

export interface Samples extends SplitInfo {
  /** count × height × width × channels, RGB order. */
  pixels: Uint8Array;
  labels: Int32Array;
  /**
   * Float label vectors (generic datasets), count × targetSize: the label DB's values, or the
   * scalar label when there is no label DB. Absent → the class labels as floats.
   */
  targets?: Float32Array;
}

/** Sample `index`'s label vector: its target values, or its class label as the one value. */
export function targetOf(samples: Samples, index: number): ArrayLike<number> {
  const size = samples.targetSize ?? 1;
  return samples.targets ? samples.targets.subarray(index * size, (index + 1) * size) : [samples.labels[index]!];
}

/** Datums decoded per call of `decode`, so a decoder can spread them over threads. */
const DECODE_CHUNK = 1024;

/**
 * Reads every Datum of `dbDir`. Raw Datums are converted from Caffe's CHW BGR; encoded ones go
 * through `decode` in chunks. Every image must have the dataset's shape.
 */
export async function loadSamples(dbDir: string, shape: ImageShape, decode: DecodeImages, signal?: AbortSignal, labelDb?: string): Promise<Samples> {
  const samples = await loadFeatures(dbDir, shape, decode, signal);
  return labelDb ? { ...samples, ...(await loadTargets(labelDb, samples.count, decode, signal)) } : samples;
}

/** How many values `labelValues` gives for `datum`, without decoding an encoded image. */
export function labelSize(datum: Datum): number {
  if (datum.floatData.length > 0) return datum.floatData.length;
  return datum.encoded ? datum.height * datum.width * datum.channels : datum.data.length;
}

/**
 * A label Datum's values, laid out as the network's output is: float_data as stored; an image
 * label (§7.5: raw C×H×W B,G,R bytes, or PNG/JPEG) as H×W×C RGB pixels, so an NHWC output
 * compares with it value for value.
 */
export async function labelValues(datum: Datum, decode: DecodeImages): Promise<ArrayLike<number>> {
  if (datum.floatData.length > 0) return datum.floatData;
  const { channels, height, width } = datum;
  if (datum.encoded) return (await decode([datum.data], { height, width, channels }))[0]!;
  const image = (channels === 1 || channels === 3) && datum.data.length === channels * height * width;
  return image ? datumDataToPixels(datum.data, width, height, channels) : datum.data;
}

/**
 * Reads the label vectors of a generic dataset's label DB (§7.2: Datums of float_data, raw bytes
 * or encoded images), in key order, which is the feature DB's order; every vector must have the same size.
 */
async function loadTargets(dbDir: string, count: number, decode: DecodeImages, signal?: AbortSignal): Promise<{ targets: Float32Array; targetSize: number }> {
  const reader = openDbReader(dbDir);
  try {
    assert(reader.count() === count, () => expected(`${count} labels (one per feature)`, dbDir, reader.count()));
    let targets: Float32Array | null = null;
    let size = 0;
    let index = 0;
    for (const entry of reader.entries()) {
      const values = await labelValues(decodeDatum(entry.value), decode);
      if (!targets) {
        size = values.length;
        assert(size > 0, () => expected('a non-empty label', `entry ${entry.key} of ${dbDir}`, 'an empty Datum'));
        targets = new Float32Array(new SharedArrayBuffer(count * size * 4));
      }
      assert(values.length === size, () => expected(`${size} label values`, `entry ${entry.key} of ${dbDir}`, values.length));
      targets.set(values, index * size);
      index++;
      if (index % DECODE_CHUNK === 0) signal?.throwIfAborted();
    }
    return { targets: targets ?? new Float32Array(0), targetSize: size };
  } finally {
    reader.close();
  }
}

/**
 * Puts Datums' images into `pixels` by image slot, with the dataset's checks: raw Datums converted
 * from Caffe's CHW BGR at once, encoded ones decoded `chunk` at a time through `decode` (so a
 * decoder can spread them over threads). Every image must have the dataset's shape. Used by
 * `loadSamples` and by the streaming reader thread.
 */
export class DatumPlacer {
  readonly #size: number;
  #pending: { at: number; index: number; bytes: Uint8Array }[] = [];

  constructor(
    private readonly pixels: Uint8Array, private readonly shape: ImageShape, private readonly decode: DecodeImages,
    private readonly dbDir: string, private readonly chunk: number, private readonly signal?: AbortSignal,
  ) {
    this.#size = shape.height * shape.width * shape.channels;
  }

  /** Places `datum`, entry `index` of the DB, in slot `at`; decodes the chunk it fills. */
  async put(at: number, index: number, datum: Datum): Promise<void> {
    const { shape, dbDir } = this;
    if (datum.encoded) {
      this.#pending.push({ at, index, bytes: datum.data });
      if (this.#pending.length === this.chunk) {
        this.signal?.throwIfAborted();
        await this.finish();
      }
      return;
    }
    assert(datum.height === shape.height && datum.width === shape.width && datum.channels === shape.channels, () => expected(`${shape.height}x${shape.width}x${shape.channels} datum`, `entry ${index} of ${dbDir}`, `${datum.height}x${datum.width}x${datum.channels}`));
    this.pixels.set(datumDataToPixels(datum.data, datum.width, datum.height, datum.channels), at * this.#size);
  }

  /** Decodes what is still pending. */
  async finish(): Promise<void> {
    const pending = this.#pending;
    if (pending.length === 0) return;
    this.#pending = [];
    const decoded = await this.decode(pending.map((p) => p.bytes), this.shape);
    decoded.forEach((image, i) => {
      const { at, index } = pending[i]!;
      assert(image.length === this.#size, () => expected(`${this.#size} decoded bytes`, `entry ${index} of ${this.dbDir}`, image.length));
      this.pixels.set(image, at * this.#size);
    });
  }
}

async function loadFeatures(dbDir: string, shape: ImageShape, decode: DecodeImages, signal?: AbortSignal): Promise<Samples> {
  const reader = openDbReader(dbDir);
  try {
    const count = reader.count();
    const size = shape.height * shape.width * shape.channels;
    // shared memory, so replica threads read the same bytes without a copy
    const pixels = new Uint8Array(new SharedArrayBuffer(count * size));
    const labels = new Int32Array(new SharedArrayBuffer(count * 4));
    const placer = new DatumPlacer(pixels, shape, decode, dbDir, DECODE_CHUNK, signal);
    let index = 0;
    for (const entry of reader.entries()) {
      const datum = decodeDatum(entry.value);
      labels[index] = datum.label;
      await placer.put(index, index, datum);
      index++;
    }
    await placer.finish();
    return { ...shape, count: index, pixels: index === count ? pixels : pixels.subarray(0, index * size), labels: labels.subarray(0, index) };
  } finally {
    reader.close();
  }
}
