/**
 * The inputs of one classify-images request brought to the model (§10.1 steps 1–2): image files
 * resolved inside DATA_ROOTS and the uploads, DB and extension entries (`source-inputs.ts`), each
 * decoded and prepared as the dataset build stored its images, packed as the samples the network
 * is fed; an input that cannot be used gets an error entry instead. Also the thumbnails of what
 * the model received. Inputs are read as they are needed and fed in chunks of whole inference
 * batches, so an `infer_db` over a DB of any size holds one chunk of pixels at a time.
 */
import { Errors, isAppError, MAX_THUMBNAILS, type ClassifiedImage, type ClassifyImagesPayload, type InferImage } from '@digits-ts/contracts';
import { encodeImage, prepareImage } from '@digits-ts/imaging';
import { inferenceBatchSize, type ImageShape, type Samples } from '@digits-ts/ml';
import { confinedRealPath, readImageFile } from '../confined-path.ts';
import type { WorkerContext } from '../context.ts';
import { gradientImage } from '../extensions/image-gradients.ts';
import { mapInOrder } from '../in-order.ts';
import type { LoadedModel } from './loaded-model.ts';
import { dbInputs, generatedInputs, type RawInput } from './source-inputs.ts';

/** Images read and decoded at once. */
export const PREPARE_CONCURRENCY = 32;
/** Pixels of prepared samples fed to the network at once, about. */
const CHUNK_BYTES = 64 << 20;

/** Samples per chunk for images of `shape`: whole inference batches (so the network sees the batches one pass over all would give it), about CHUNK_BYTES. */
export function chunkSamples(shape: ImageShape): number {
  const batch = inferenceBatchSize();
  return batch * Math.max(1, Math.floor(CHUNK_BYTES / (batch * shape.height * shape.width * shape.channels)));
}

/** Consecutive usable inputs of a request, packed as the samples the network is fed. */
export interface InputChunk {
  samples: Samples;
  /** For each sample, the index of its input in `results`. */
  used: number[];
  /** The request's results (all chunks share them). */
  results: ClassifiedImage[];
  /** Samples in the chunks before this one: this chunk's first sample is the request's `first`-th. */
  first: number;
}

/** The request's inputs: one result entry per input, and the samples of those that could be used, chunk by chunk. */
export interface RequestInputs {
  /** One entry per input pulled so far, in input order: every input once `chunks` is done. */
  results: ClassifiedImage[];
  /** The usable inputs' samples; every chunk but the last holds the chunk size, none is empty. */
  chunks: AsyncGenerator<InputChunk, void, undefined>;
}

/** One input on its way to the network: where it came from and how to get its pixels. */
export interface PendingInput {
  result: ClassifiedImage;
  pixels: () => Promise<Uint8Array>;
}

/**
 * An input image as the dataset build stored its images: decoded, channels converted, resized
 * by the dataset's mode (§10.1 step 2). `fill`/`half_crop` pad with fixed mid-grey instead of
 * the build's random noise, so one image always classifies the same. With `resize` false
 * (generic `dont_resize`) an image of another size is refused instead.
 */
export async function prepareForModel(bytes: Buffer, image: LoadedModel['image'], maxPixels: number, resize = true): Promise<Uint8Array> {
  const { height, width, channels, resizeMode } = image;
  const prepared = await prepareImage(bytes, { width, height, channels, resizeMode, encoding: 'none', maxPixels, random: () => 0.5, ...(resize ? {} : { requireSize: true }) });
  return prepared.pixels.data;
}

/** Reads one image, confined to DATA_ROOTS and the gateway's uploads, prepared as the dataset's images were. */
async function readImage(ctx: WorkerContext, image: InferImage, loaded: LoadedModel, resize: boolean): Promise<Uint8Array> {
  const real = await confinedRealPath(image.path, [...ctx.roots, ctx.uploadsDir], () => Errors.IMAGE_NOT_FOUND(`"${image.source}" not found`), image.source);
  const bytes = await readImageFile(real, ctx.config.imageMaxPixels, `"${image.source}"`, (why) => Errors.IMAGE_NOT_FOUND(`"${image.source}" cannot be read: ${why}`));
  return prepareForModel(bytes, loaded.image, ctx.config.imageMaxPixels, resize);
}

/** Raw pixels of a DB entry or a generated one, brought to the model's image (§10.5). */
async function rawPixels(ctx: WorkerContext, input: RawInput, loaded: LoadedModel, resize: boolean): Promise<Uint8Array> {
  const { height, width, channels } = loaded.image;
  if (input.kind === 'encoded') return prepareForModel(input.bytes, loaded.image, ctx.config.imageMaxPixels, resize);
  if (input.height === height && input.width === width && input.channels === channels) return input.pixels;
  return prepareForModel(await input.toPng(), loaded.image, ctx.config.imageMaxPixels, resize);
}

/** The request's image files, then its DB or extension entries, each made as it is pulled. */
async function pendingInputs(ctx: WorkerContext, payload: ClassifyImagesPayload, loaded: LoadedModel): Promise<Iterable<PendingInput>> {
  const resize = payload.resize ?? true;
  const source = payload.source;
  // a DB's path is checked now; its entries are read as they are pulled
  const raw: Iterable<RawInput> = !source ? [] : source.kind === 'db'
    ? await dbInputs(ctx, source.path)
    : generatedInputs(source.count, (slopeX, slopeY) => gradientImage(source.width, source.height, slopeX, slopeY), { gradientX: source.gradientX, gradientY: source.gradientY, width: source.width, height: source.height });
  return (function* inputs(): Generator<PendingInput> {
    for (const image of payload.images) yield { result: { source: image.source, label: image.label }, pixels: () => readImage(ctx, image, loaded, resize) };
    for (const input of raw) yield { result: { source: input.key, label: null }, pixels: () => rawPixels(ctx, input, loaded, resize) };
  })();
}

/** Prepares the request's inputs as they are needed; the unusable ones get an error entry instead of pixels. */
export async function requestInputs(ctx: WorkerContext, payload: ClassifyImagesPayload, loaded: LoadedModel, samplesPerChunk = chunkSamples(loaded.image)): Promise<RequestInputs> {
  return preparedChunks(await pendingInputs(ctx, payload, loaded), loaded.image, samplesPerChunk);
}

/**
 * `pending` prepared in input order, {@link PREPARE_CONCURRENCY} at a time (file I/O and sharp
 * run off the main thread), and packed into chunks of `samplesPerChunk` samples. Inputs are
 * pulled only as the consumer takes chunks: at most one chunk's inputs and PREPARE_CONCURRENCY
 * more are ever read ahead of it.
 */
export function preparedChunks(pending: Iterable<PendingInput>, shape: ImageShape, samplesPerChunk: number): RequestInputs {
  const { height, width, channels } = shape;
  const size = height * width * channels;
  const results: ClassifiedImage[] = [];
  function* registered(): Generator<PendingInput> {
    for (const input of pending) {
      results.push(input.result);
      yield input;
    }
  }
  const prepare = async (input: PendingInput, index: number): Promise<{ index: number; data: Uint8Array | null }> => {
    try {
      return { index, data: await input.pixels() };
    } catch (err) {
      if (!isAppError(err)) throw err;
      input.result.error = { code: err.code, message: err.message };
      return { index, data: null };
    }
  };
  async function* chunks(): AsyncGenerator<InputChunk, void, undefined> {
    let slots: Uint8Array[] = [];
    let used: number[] = [];
    let first = 0;
    const pack = (): InputChunk => {
      const pixels = new Uint8Array(slots.length * size);
      slots.forEach((data, k) => pixels.set(data, k * size));
      const chunk: InputChunk = { samples: { height, width, channels, count: used.length, pixels, labels: new Int32Array(used.length) }, used, results, first };
      first += used.length;
      slots = [];
      used = [];
      return chunk;
    };
    for await (const { index, data } of mapInOrder(registered(), PREPARE_CONCURRENCY, prepare)) {
      if (!data) continue;
      slots.push(data);
      used.push(index);
      if (used.length === samplesPerChunk) yield pack();
    }
    if (used.length > 0) yield pack();
  }
  return { results, chunks: chunks() };
}

/** A PNG of the pixels each used input of the chunk gave the model, while the request's first {@link MAX_THUMBNAILS} last. */
export async function addThumbnails({ samples, used, results, first }: InputChunk, image: LoadedModel['image']): Promise<void> {
  const { height, width, channels } = image;
  const size = height * width * channels;
  const count = Math.max(0, Math.min(used.length, MAX_THUMBNAILS - first));
  for (let start = 0; start < count; start += PREPARE_CONCURRENCY) {
    await Promise.all(used.slice(start, Math.min(count, start + PREPARE_CONCURRENCY)).map(async (i, k) => {
      const at = (start + k) * size;
      const png = await encodeImage({ data: Buffer.from(samples.pixels.buffer, samples.pixels.byteOffset + at, size), width, height, channels }, 'png');
      results[i]!.thumbnail = { mime: 'image/png', data: png.toString('base64') };
    }));
  }
}
