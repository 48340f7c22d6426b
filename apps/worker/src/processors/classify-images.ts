/**
 * `classify-images`: one inference request — classify_one / classify_many / top_n (contract
 * §10.2–10.4) or the generic infer_one / infer_many / infer_db / infer_extension (§10.5).
 */
import type { Job } from 'bullmq';
import { Errors, isAppError, MAX_THUMBNAILS, payloadChecker, percent, snapshotOf, type ClassifiedImage, type ClassifyImagesPayload, type InferImage, type InferSource, type ResultOf } from '@digits-ts/contracts';
import { encodeImage } from '@digits-ts/imaging';
import { classifySamples, forwardSamples, inputTensor, nestedList, rankClasses, visualizeLayers, type Samples } from '@digits-ts/ml';
import { confinedRealPath, readImageFile } from '../confined-path.ts';
import type { WorkerContext } from '../context.ts';
import { gradientImage } from '../extensions/image-gradients.ts';
import { dbInputs, generatedInputs, type RawInput } from '../inference/source-inputs.ts';
import { loadForInference, prepareForModel, type LoadedModel } from '../inference/loaded-model.ts';

export const name = 'classify-images';
/** Images read and decoded at once. */
const PREPARE_CONCURRENCY = 32;

/** One input on its way to the network: where it came from and how to get its pixels. */
interface PendingInput {
  result: ClassifiedImage;
  pixels: () => Promise<Uint8Array>;
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

/** Prepares every input; the unusable ones get an error entry instead of pixels. */
async function prepareAll(inputs: PendingInput[], loaded: LoadedModel): Promise<{ samples: Samples; used: number[]; results: ClassifiedImage[] }> {
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
async function addThumbnails(samples: Samples, used: number[], results: ClassifiedImage[], image: LoadedModel['image']): Promise<void> {
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

/** Top predictions (classification). */
async function classify(loaded: LoadedModel, samples: Samples, used: number[], results: ClassifiedImage[], payload: ClassifyImagesPayload): Promise<void> {
  const scores = await classifySamples(loaded.model, samples, loaded.prep);
  scores.forEach((probs, k) => {
    // scores beyond the label count are dropped, as DIGITS does
    const ranked = rankClasses(probs).filter((c) => c < loaded.labels.length);
    const result = results[used[k]!]!;
    result.ranked = ranked;
    result.predictions = ranked.slice(0, payload.top).map((c) => [loaded.labels[c]!, percent(probs[c]!)]);
    if (payload.scores) result.scores = Array.from(probs.subarray(0, loaded.labels.length));
  });
}

/** Every deploy output, by name, as nested lists without the batch dimension (generic, §10.5). */
async function outputsOf(loaded: LoadedModel, samples: Samples, used: number[], results: ClassifiedImage[]): Promise<void> {
  (await forwardSamples(loaded.model, loaded.outputs, samples, loaded.prep)).forEach((outputs, k) => {
    results[used[k]!]!.outputs = Object.fromEntries(outputs.map((o) => [o.name, nestedList(o.values, o.shape)]));
  });
}

export function createClassifyImagesProcessor(ctx: WorkerContext) {
  return async function process(job: Job): Promise<ResultOf<'classify-images'>> {
    const payload = payloadChecker('classify-images').parse(job.data, 'classify-images payload');
    const record = await ctx.store.get(payload.modelId);
    if (!record || record.kind !== 'model') throw Errors.JOB_NOT_FOUND('Job not found');
    // inference looks epoch 0 up literally (§9.2)
    const epoch = snapshotOf(record, payload.epoch, false).epoch;
    const started = performance.now();
    const { loaded, hit } = await ctx.models.get(`${record.id}@${epoch}`, () => loadForInference(ctx.store, record, epoch));
    const loadMs = hit ? 0 : Math.round(performance.now() - started);
    const { samples, used, results } = await prepareAll(await pendingInputs(ctx, payload, loaded), loaded);
    if (payload.thumbnails) await addThumbnails(samples, used, results, loaded.image);
    if (samples.count > 0) {
      if (payload.mode === 'outputs') await outputsOf(loaded, samples, used, results);
      else await classify(loaded, samples, used, results, payload);
    }
    let visualizations: unknown[] | undefined;
    if (payload.visualize && samples.count > 0) {
      const input = inputTensor(samples, 0, loaded.prep);
      try {
        visualizations = await visualizeLayers(loaded.model, input);
      } finally {
        input.dispose();
      }
    }
    return { epoch, labels: loaded.labels, images: results, loadMs, ...(visualizations ? { visualizations } : {}) };
  };
}
