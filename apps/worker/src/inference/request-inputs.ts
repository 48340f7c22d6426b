/**
 * The inputs of one classify-images request brought to the model (§10.1 steps 1–2): image files
 * resolved inside DATA_ROOTS and the uploads, DB and extension entries (`source-inputs.ts`), each
 * decoded and prepared as the dataset build stored its images, packed as the samples the network
 * is fed; an input that cannot be used gets an error entry instead. Also the thumbnails of what
 * the model received.
 */
import { Errors, isAppError, MAX_THUMBNAILS, type ClassifiedImage, type ClassifyImagesPayload, type InferImage, type InferSource } from '@digits-ts/contracts';
import { encodeImage, prepareImage } from '@digits-ts/imaging';
import type { Samples } from '@digits-ts/ml';
import { confinedRealPath, readImageFile } from '../confined-path.ts';
import type { WorkerContext } from '../context.ts';
import { gradientImage } from '../extensions/image-gradients.ts';
import type { LoadedModel } from './loaded-model.ts';
import { dbInputs, generatedInputs, type RawInput } from './source-inputs.ts';

/** Images read and decoded at once. */
const PREPARE_CONCURRENCY = 32;

/** The request's inputs: one result entry per input, and the samples of those that could be used. */
export interface RequestInputs {
  samples: Samples;
  /** For each sample, the index of its input in `results`. */
  used: number[];
  results: ClassifiedImage[];
}

/** One input on its way to the network: where it came from and how to get its pixels. */
interface PendingInput {
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

/** The request's image files, then its DB or extension entries. */
async function pendingInputs(ctx: WorkerContext, payload: ClassifyImagesPayload, loaded: LoadedModel): Promise<PendingInput[]> {
  const resize = payload.resize ?? true;
  const files = payload.images.map((image): PendingInput => ({ result: { source: image.source, label: image.label }, pixels: () => readImage(ctx, image, loaded, resize) }));
  const source: InferSource | undefined = payload.source;
  if (!source) return files;
  const raw = source.kind === 'db'
    ? await dbInputs(ctx, source.path)
    : generatedInputs(source.count, (slopeX, slopeY) => gradientImage(source.width, source.height, slopeX, slopeY), { gradientX: source.gradientX, gradientY: source.gradientY, width: source.width, height: source.height });
  return [...files, ...raw.map((input): PendingInput => ({ result: { source: input.key, label: null }, pixels: () => rawPixels(ctx, input, loaded, resize) }))];
}

/** Prepares every input of the request; the unusable ones get an error entry instead of pixels. */
export async function requestInputs(ctx: WorkerContext, payload: ClassifyImagesPayload, loaded: LoadedModel): Promise<RequestInputs> {
  const inputs = await pendingInputs(ctx, payload, loaded);
  const { height, width, channels } = loaded.image;
  const size = height * width * channels;
  const pixels = new Uint8Array(inputs.length * size);
  const used: number[] = [];
  const results = inputs.map((i) => i.result);
  // reads and decodes overlap (file I/O and sharp run off the main thread); pixels keep input order
  const slots = new Array<Uint8Array | null>(inputs.length).fill(null);
  for (let start = 0; start < inputs.length; start += PREPARE_CONCURRENCY) {
    await Promise.all(inputs.slice(start, start + PREPARE_CONCURRENCY).map(async (input, k) => {
      try {
        slots[start + k] = await input.pixels();
      } catch (err) {
        if (!isAppError(err)) throw err;
        results[start + k]!.error = { code: err.code, message: err.message };
      }
    }));
  }
  slots.forEach((data, i) => {
    if (!data) return;
    pixels.set(data, used.length * size);
    used.push(i);
  });
  const samples: Samples = { height, width, channels, count: used.length, pixels: pixels.subarray(0, used.length * size), labels: new Int32Array(used.length) };
  return { samples, used, results };
}

/** A PNG of the pixels each used input gave the model, for the first {@link MAX_THUMBNAILS} of them. */
export async function addThumbnails({ samples, used, results }: RequestInputs, image: LoadedModel['image']): Promise<void> {
  const { height, width, channels } = image;
  const size = height * width * channels;
  const count = Math.min(used.length, MAX_THUMBNAILS);
  for (let start = 0; start < count; start += PREPARE_CONCURRENCY) {
    await Promise.all(used.slice(start, Math.min(count, start + PREPARE_CONCURRENCY)).map(async (i, k) => {
      const at = (start + k) * size;
      const png = await encodeImage({ data: Buffer.from(samples.pixels.buffer, samples.pixels.byteOffset + at, size), width, height, channels }, 'png');
      results[i]!.thumbnail = { mime: 'image/png', data: png.toString('base64') };
    }));
  }
}
