/** `classify-images`: one classify_one / classify_many request (contract §10.2–10.3). */
import fs from 'node:fs/promises';
import type { Job } from 'bullmq';
import { ClassifyImagesPayload, compileChecker, Errors, isAppError, isWithinRoots, percent, snapshotOf, type ClassifiedImage, type ClassifyImagesResult, type InferImage } from '@digits-ts/contracts';
import { classifySamples, inputTensor, rankClasses, visualizeLayers, type Samples } from '@digits-ts/ml';
import type { WorkerContext } from '../context.ts';
import { loadForInference, prepareForModel, type LoadedModel } from '../inference/loaded-model.ts';

export const name = 'classify-images';
const payloadChecker = compileChecker(ClassifyImagesPayload);
/** Images read and decoded at once. */
const PREPARE_CONCURRENCY = 32;

/** Reads one image, confined to DATA_ROOTS and the gateway's uploads, prepared as the dataset's images were. */
async function prepare(ctx: WorkerContext, image: InferImage, loaded: LoadedModel): Promise<Uint8Array> {
  let real: string;
  try {
    real = await fs.realpath(image.path);
  } catch {
    throw Errors.IMAGE_NOT_FOUND(`"${image.source}" not found`);
  }
  if (!isWithinRoots(real, [...ctx.roots, ctx.uploadsDir])) throw Errors.PATH_NOT_ALLOWED(`"${image.source}" is outside DATA_ROOTS`);
  return prepareForModel(await fs.readFile(real), loaded.image, ctx.config.imageMaxPixels);
}

/** Prepares every image; the unusable ones get an error entry instead of pixels. */
async function prepareAll(ctx: WorkerContext, images: InferImage[], loaded: LoadedModel): Promise<{ samples: Samples; used: number[]; results: ClassifiedImage[] }> {
  const { height, width, channels } = loaded.image;
  const size = height * width * channels;
  const pixels = new Uint8Array(images.length * size);
  const used: number[] = [];
  const results: ClassifiedImage[] = images.map((img) => ({ source: img.source, label: img.label }));
  // reads and decodes overlap (file I/O and sharp run off the main thread); pixels keep list order
  const slots = new Array<Uint8Array | null>(images.length).fill(null);
  for (let start = 0; start < images.length; start += PREPARE_CONCURRENCY) {
    await Promise.all(images.slice(start, start + PREPARE_CONCURRENCY).map(async (image, k) => {
      try {
        slots[start + k] = await prepare(ctx, image, loaded);
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

export function createClassifyImagesProcessor(ctx: WorkerContext) {
  return async function process(job: Job): Promise<ClassifyImagesResult> {
    const payload = payloadChecker.parse(job.data, 'classify-images payload');
    const record = await ctx.store.get(payload.modelId);
    if (!record || record.kind !== 'model') throw Errors.JOB_NOT_FOUND('Job not found');
    // inference looks epoch 0 up literally (§9.2)
    const epoch = snapshotOf(record, payload.epoch, false).epoch;
    const started = performance.now();
    const { loaded, hit } = await ctx.models.get(`${record.id}@${epoch}`, () => loadForInference(ctx.store, record, epoch));
    const loadMs = hit ? 0 : Math.round(performance.now() - started);
    const { samples, used, results } = await prepareAll(ctx, payload.images, loaded);
    if (samples.count > 0) {
      const scores = classifySamples(loaded.model, samples, loaded.prep);
      scores.forEach((probs, k) => {
        // scores beyond the label count are dropped, as DIGITS does
        const ranked = rankClasses(probs).filter((c) => c < loaded.labels.length);
        const result = results[used[k]!]!;
        result.ranked = ranked;
        result.predictions = ranked.slice(0, payload.top).map((c) => [loaded.labels[c]!, percent(probs[c]!)]);
        if (payload.scores) result.scores = Array.from(probs.subarray(0, loaded.labels.length));
      });
    }
    let visualizations: unknown[] | undefined;
    if (payload.visualize && samples.count > 0) {
      const input = inputTensor(samples, 0, loaded.prep);
      try {
        visualizations = visualizeLayers(loaded.model, input);
      } finally {
        input.dispose();
      }
    }
    return { epoch, labels: loaded.labels, images: results, loadMs, ...(visualizations ? { visualizations } : {}) };
  };
}
