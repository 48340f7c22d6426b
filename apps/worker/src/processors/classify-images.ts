/**
 * `classify-images`: one inference request — classify_one / classify_many / top_n (contract
 * §10.2–10.4) or the generic infer_one / infer_many / infer_db / infer_extension (§10.5). Finds
 * the model (cached), prepares the inputs (`inference/request-inputs.ts`), runs the network and
 * writes its answers into each input's result, one chunk of inputs at a time (so an infer_db
 * holds one chunk's pixels and outputs, whatever the DB's size).
 */
import type { Job } from 'bullmq';
import { Errors, payloadChecker, percent, snapshotOf, type ClassifyImagesPayload, type ResultOf, type SegmentationExtensionData } from '@digits-ts/contracts';
import { blobLayout, classifySamples, clusterOutputs, forwardSamples, inputTensor, nestedList, rankClasses, visualizeLayers, type LayerVisualization, type Samples } from '@digits-ts/ml';
import type { WorkerContext } from '../context.ts';
import { loadForInference, type LoadedModel } from '../inference/loaded-model.ts';
import { addOutputImages } from '../inference/output-image.ts';
import { addSegmentationViews } from '../inference/segmentation-view.ts';
import { addThumbnails, requestInputs, type InputChunk } from '../inference/request-inputs.ts';

export const name = 'classify-images';

/** The model snapshot the request names, from the cache or loaded (then `loadMs` says how long that took). */
async function requestedModel(ctx: WorkerContext, payload: ClassifyImagesPayload): Promise<{ loaded: LoadedModel; epoch: number; loadMs: number }> {
  const record = await ctx.store.get(payload.modelId);
  if (!record || (record.kind !== 'model' && record.kind !== 'pretrained')) throw Errors.JOB_NOT_FOUND('Job not found');
  // inference looks epoch 0 up literally (§9.2)
  const epoch = snapshotOf(record, payload.epoch, false).epoch;
  const started = performance.now();
  const { loaded, hit } = await ctx.models.get(`${record.id}@${epoch}`, () => loadForInference(ctx.store, record, epoch));
  return { loaded, epoch, loadMs: hit ? 0 : Math.round(performance.now() - started) };
}

/** Top predictions (classification). */
async function classify(loaded: LoadedModel, { samples, used, results }: InputChunk, payload: ClassifyImagesPayload): Promise<void> {
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

/** Every deploy output, by name, as nested lists without the batch dimension, image outputs C×H×W (generic, §10.5); the first drawn when asked (§10.6). */
async function outputsOf(loaded: LoadedModel, inputs: InputChunk, payload: ClassifyImagesPayload, segmentation: SegmentationExtensionData | null): Promise<void> {
  const { samples, used, results } = inputs;
  const raw = await forwardSamples(loaded.model, loaded.outputs, samples, loaded.prep);
  const step = loaded.clusterDetections;
  const forwarded = step ? raw.map((outputs) => clusterOutputs(outputs, step)) : raw;
  forwarded.forEach((outputs, k) => {
    results[used[k]!]!.outputs = Object.fromEntries(outputs.map((o) => {
      const { values, shape } = blobLayout(o);
      return [o.name, nestedList(values, shape)];
    }));
  });
  if (payload.outputImage) await addOutputImages(forwarded, inputs, loaded.image, payload.outputImage);
  if (payload.segmentation) await addSegmentationViews(forwarded, inputs, payload.segmentation, segmentation);
}

/** The palette and class labels of the model's dataset, for the Image Segmentation view (§7.6); null when it has none. */
async function segmentationDataOf(ctx: WorkerContext, modelId: string): Promise<SegmentationExtensionData | null> {
  const datasetId = (await ctx.store.get(modelId))?.datasetId;
  return (datasetId ? (await ctx.store.get(datasetId))?.generic?.extensionData : null) ?? null;
}

/** Per-layer statistics of activations and weights for the first sample (show_visualizations). */
async function visualizeFirst(loaded: LoadedModel, samples: Samples): Promise<LayerVisualization[]> {
  const input = inputTensor(samples, 0, loaded.prep);
  try {
    return await visualizeLayers(loaded.model, input);
  } finally {
    input.dispose();
  }
}

export function createClassifyImagesProcessor(ctx: WorkerContext) {
  return async function process(job: Job): Promise<ResultOf<'classify-images'>> {
    const payload = payloadChecker('classify-images').parse(job.data, 'classify-images payload');
    const { loaded, epoch, loadMs } = await requestedModel(ctx, payload);
    const inputs = await requestInputs(ctx, payload, loaded);
    let visualizations: LayerVisualization[] | undefined;
    const segmentation = payload.segmentation ? await segmentationDataOf(ctx, payload.modelId) : null;
    for await (const chunk of inputs.chunks) {
      if (payload.thumbnails) await addThumbnails(chunk, loaded.image);
      if (payload.mode === 'outputs') await outputsOf(loaded, chunk, payload, segmentation);
      else await classify(loaded, chunk, payload);
      // the request's first sample opens the first chunk (chunks are never empty)
      if (payload.visualize && chunk.first === 0) visualizations = await visualizeFirst(loaded, chunk.samples);
    }
    return { epoch, labels: loaded.labels, images: inputs.results, loadMs, ...(visualizations ? { visualizations } : {}) };
  };
}
