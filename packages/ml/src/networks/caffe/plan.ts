/**
 * What each DIGITS stage (train, val, deploy) of a Caffe net runs, before any TF.js exists:
 * the dataset's blobs, the layers in order with where each bottom comes from (a missing bottom is
 * an error), the loss heads and their Accuracy layers, the deploy outputs, and DIGITS' defaults.
 */
import type { HeadInfo, LossKind, NetworkDefaults } from '../types.ts';
import type { DetectionSpec } from '../../detection/spec.ts';
import { detectionOf, isLabelSource, targetOf } from './detection-plan.ts';
import { LAYER_FACTORIES } from './mapping.ts';
import { badNetwork, CAFFE_FEED_TYPES, CAFFE_LABEL_TYPES, CAFFE_LAYER_TYPES, type CaffeLayer, type CaffeNet, DIGITS_STATES, type DigitsStage, FIELDS, filterNet, layerError } from '@digits-ts/caffe';

/** Layers the dataset feeds: top[0] is the image, top[1] the label (a lone top named *label* is the label). */
const FEED_TYPES: readonly string[] = CAFFE_FEED_TYPES;
const LOSS_KINDS: Record<string, LossKind> = { SoftmaxWithLoss: 'softmax', EuclideanLoss: 'euclidean', L1Loss: 'l1' };
/** The only layers that may read the label blob. */
const LABEL_READERS: readonly string[] = CAFFE_LABEL_TYPES;
/** Every layer type a network may use (@digits-ts/caffe's list, which the form checks; `LAYER_FACTORIES` maps the computing ones). */
export const SUPPORTED_TYPES = CAFFE_LAYER_TYPES;
/** DIGITS' batch size when the Data layer gives none. */
const DEFAULT_BATCH_SIZE = 16;

/** Source of the dataset image in a stage: a blob name, and the Data layer that scales it. */
export interface ImageBinding {
  blob: string;
  /** transform_param.scale of `layer`, when it is not 1. */
  scale: { layer: CaffeLayer; factor: number } | null;
}

/** One layer of a stage. */
export interface Step {
  layer: CaffeLayer;
  /** Where each bottom comes from: `<layer name>#<top index>`, `image` or `label`. */
  sources: string[];
  /** A BatchNorm's following Scale layer, computed by the same TF.js layer. */
  fusedScale?: CaffeLayer;
  /** This Scale is part of the BatchNorm before it: its top is that layer's output. */
  fused?: boolean;
}

/** What one stage runs. */
export interface StagePlan {
  stage: DigitsStage;
  images: ImageBinding[];
  label: string;
  /** The Data layer of the image, for batch size and transform parameters. */
  imageLayer: CaffeLayer | null;
  steps: Step[];
  /** Blobs produced and never consumed, in the order they were first produced. */
  outputs: string[];
}

/** A training head: the loss layer, the blob it reads, and what DIGITS reports. */
export interface HeadPlan {
  layer: CaffeLayer;
  blob: string;
  source: string;
  info: HeadInfo;
}

/** The three stages, the training heads and DIGITS' defaults of one net. */
export interface NetPlan {
  train: StagePlan;
  val: StagePlan;
  deploy: StagePlan;
  heads: HeadPlan[];
  defaults: NetworkDefaults;
  /** DetectNet clustering and scoring, when the net has a ClusterDetections layer. */
  detection: DetectionSpec | null;
}

interface Feed {
  image: string | null;
  label: string | null;
  imageLayer: CaffeLayer | null;
}

/**
 * The dataset blobs a stage's feed layers declare. Data layers come first: DIGITS drops Input
 * layers (they only say what a deploy net takes), so an Input layer counts where no Data layer
 * feeds the stage. The deploy stage is fed by DIGITS itself, Input layers aside.
 */
function feedOf(layers: CaffeLayer[], stage: DigitsStage): Feed {
  const feed: Feed = { image: null, label: null, imageLayer: null };
  const data = layers.filter((l) => FEED_TYPES.includes(l.type) && l.type !== 'Input' && stage !== 'deploy');
  const inputs = layers.filter((l) => l.type === 'Input');
  for (const layer of [...data, ...(data.length > 0 ? [] : inputs)]) {
    checkFeedParams(layer);
    const [first, second, ...rest] = layer.top;
    if (first === undefined || rest.length > 0) throw layerError(layer, `needs one or two tops (image, label) but has ${layer.top.length}`);
    const lone = second === undefined;
    const image = lone && /label/.test(first) ? null : first;
    const label = lone ? (image === null ? first : null) : second!;
    if (image !== null) {
      if (feed.image !== null) throw layerError(layer, `is a second image input in the ${stage} stage (the first is ${JSON.stringify(feed.image)})`);
      feed.image = image;
      feed.imageLayer = layer;
    }
    if (label !== null) {
      if (feed.label !== null) throw layerError(layer, `is a second label input in the ${stage} stage (the first is ${JSON.stringify(feed.label)})`);
      feed.label = label;
    }
  }
  return feed;
}

function checkFeedParams(layer: CaffeLayer): void {
  layer.param('transform_param', FIELDS.transform);
  if (layer.type === 'Data') layer.param('data_param', FIELDS.data).int('batch_size', undefined, 1);
  if (layer.type === 'HDF5Data') layer.param('hdf5_data_param', FIELDS.hdf5Data).int('batch_size', undefined, 1);
  if (layer.type === 'Input') layer.param('input_param', FIELDS.input).messages('shape', FIELDS.blobShape).forEach((s) => s.ints('dim', 0));
}

function scaleOf(layer: CaffeLayer | null): ImageBinding['scale'] {
  if (!layer || layer.type === 'Input') return null;
  const factor = layer.param('transform_param', FIELDS.transform).number('scale', 1);
  return factor === 1 ? null : { layer, factor };
}

/** BatchNorm layers directly followed by a Scale of their top (same rules) → that Scale. */
function fusions(net: CaffeNet): Map<number, CaffeLayer> {
  const fused = new Map<number, CaffeLayer>();
  const rules = (l: CaffeLayer) => JSON.stringify([l.include, l.exclude]);
  net.layers.forEach((bn, i) => {
    const scale = net.layers[i + 1];
    if (bn.type !== 'BatchNorm' || scale?.type !== 'Scale' || bn.top.length !== 1 || scale.bottom.length !== 1) return;
    const blob = bn.top[0]!;
    if (scale.bottom[0] !== blob || rules(bn) !== rules(scale)) return;
    const inPlace = scale.top.length === 1 && scale.top[0] === blob;
    if (inPlace || !net.layers.some((l, j) => j > i + 1 && l.bottom.includes(blob))) fused.set(i, scale);
  });
  return fused;
}

/** Walks a stage's layers in order, resolving bottoms and collecting its outputs. */
function walk(stage: DigitsStage, layers: CaffeLayer[], images: ImageBinding[], label: string, fused: Map<number, CaffeLayer>): { steps: Step[]; outputs: string[] } {
  const available = new Map<string, string>(images.map((i) => [i.blob, 'image']));
  if (stage !== 'deploy') available.set(label, 'label');
  const tainted = new Set<string>(stage === 'deploy' ? [label] : []);
  const fusedScales = new Set([...fused.values()].map((l) => l.index));
  const steps: Step[] = [];
  const created: string[] = [];
  const open = new Set<string>();
  for (const layer of layers) {
    if (FEED_TYPES.includes(layer.type)) continue;
    if (!SUPPORTED_TYPES.includes(layer.type)) {
      throw badNetwork(`${layer.where} has type ${JSON.stringify(layer.type)}, which is not supported (supported: ${SUPPORTED_TYPES.join(', ')})`);
    }
    // the deploy net has no labels: loss and Accuracy layers and everything fed by the label go
    if (stage === 'deploy' && (LABEL_READERS.includes(layer.type) || layer.bottom.some((b) => tainted.has(b)))) {
      for (const t of layer.top) tainted.add(t);
      continue;
    }
    const sources = layer.bottom.map((b) => {
      const source = available.get(b);
      if (source === undefined) {
        throw layerError(layer, `reads blob ${JSON.stringify(b)}, which no earlier layer produces in the ${stage} stage (an include or exclude rule may be missing)`);
      }
      if (isLabelSource(source) && !LABEL_READERS.includes(layer.type)) {
        throw layerError(layer, `reads the label blob ${JSON.stringify(b)}; only ${LABEL_READERS.join(', ')} layers may`);
      }
      return source;
    });
    for (const b of layer.bottom) open.delete(b);
    // a DetectNetTransformation's tops are label grids, readable by loss layers only
    const derived = layer.type === 'DetectNetTransformation';
    layer.top.forEach((t, i) => {
      available.set(t, derived ? `label:${layer.index}#${i}` : `${layer.name}#${i}`);
      tainted.delete(t);
      if (!created.includes(t)) created.push(t);
      open.add(t);
    });
    const step: Step = { layer, sources };
    const scale = fused.get(layer.index);
    if (scale) step.fusedScale = scale;
    if (fusedScales.has(layer.index)) step.fused = true;
    steps.push(step);
  }
  return { steps, outputs: created.filter((t) => open.has(t)) };
}

function planStage(net: CaffeNet, stage: DigitsStage, fused: Map<number, CaffeLayer>, train?: StagePlan): StagePlan {
  const layers = filterNet(net, DIGITS_STATES[stage]);
  const feed = feedOf(layers, stage);
  const label = stage === 'deploy' && train ? train.label : (feed.label ?? net.inputs[1] ?? 'label');
  let images: ImageBinding[];
  if (stage === 'deploy' && train) {
    // DIGITS' deploy input is "data"; the train image blob (scaled as in training) and any Input layer are too
    const names = ['data', ...train.images.map((i) => i.blob), feed.image ?? net.inputs[0] ?? 'data'];
    images = [...new Set(names)].map((blob) => train.images.find((i) => i.blob === blob) ?? { blob, scale: null });
  } else {
    images = [{ blob: feed.image ?? net.inputs[0] ?? 'data', scale: scaleOf(feed.imageLayer) }];
  }
  return { stage, images, label, imageLayer: feed.imageLayer, ...walk(stage, layers, images, label, fused) };
}

function headsOf(train: StagePlan, val: StagePlan, classes: number | null): HeadPlan[] {
  const heads: HeadPlan[] = [];
  for (const { layer, sources } of train.steps) {
    const kind = LOSS_KINDS[layer.type];
    if (!kind) continue;
    if (layer.bottom.length !== 2 || !isLabelSource(sources[1]!)) {
      throw layerError(layer, `needs two bottoms: the prediction and the label blob ${JSON.stringify(train.label)}`);
    }
    const lossParam = layer.param('loss_param', FIELDS.loss);
    const info: HeadInfo = { loss: layer.top[0] ?? layer.name, weight: layer.lossWeight[0] ?? 1, kind };
    if (kind === 'softmax') {
      if (layer.param('softmax_param', FIELDS.softmax).int('axis', 1) !== 1) throw layerError(layer, 'supports only softmax over axis 1 (channels)');
      const ignore = lossParam.int('ignore_label', undefined);
      if (ignore !== undefined) info.ignoreLabel = ignore;
      // Caffe: `normalization` wins; else the deprecated `normalize` (false → BATCH_SIZE); else VALID
      const normalization = lossParam.has('normalization') ? lossParam.enumValue('normalization', ['FULL', 'VALID', 'BATCH_SIZE', 'NONE'], 'VALID')
        : lossParam.has('normalize') && !lossParam.bool('normalize', true) ? 'BATCH_SIZE' : 'VALID';
      if (normalization !== 'VALID') info.normalization = normalization;
    }
    const target = targetOf(layer, sources[1]!, train.steps);
    if (target) info.target = target;
    heads.push({ layer, blob: layer.bottom[0]!, source: sources[0]!, info });
  }
  if (heads.length === 0) throw badNetwork(`the train stage has no loss layer (${Object.keys(LOSS_KINDS).join(' or ')})`);
  for (const { layer, sources } of val.steps) {
    if (layer.type !== 'Accuracy') continue;
    const topK = layer.param('accuracy_param', FIELDS.accuracy).int('top_k', 1, 1);
    if (layer.bottom.length !== 2 || sources[1] !== 'label') throw layerError(layer, `needs two bottoms: the prediction and the label blob ${JSON.stringify(val.label)}`);
    if (classes !== null && topK > classes) continue; // DIGITS drops these too
    if (topK !== 1 && topK !== 5) throw layerError(layer, `has top_k ${topK}; DIGITS reports top-1 and top-5 accuracy only`);
    const head = heads.find((h) => h.source === sources[0] && h.info.kind === 'softmax');
    if (!head) continue;
    const field = topK === 1 ? 'accuracy' : 'accuracyTop5';
    if (head.info[field] !== undefined) throw layerError(layer, `is a second top-${topK} Accuracy for blob ${JSON.stringify(layer.bottom[0])}`);
    head.info[field] = layer.top[0] ?? layer.name;
  }
  return heads;
}

function batchSizeOf(layer: CaffeLayer | null): number | undefined {
  if (layer?.type === 'Data') return layer.param('data_param', FIELDS.data).int('batch_size', undefined);
  if (layer?.type === 'HDF5Data') return layer.param('hdf5_data_param', FIELDS.hdf5Data).int('batch_size', undefined);
  return undefined;
}

function defaultsOf(train: StagePlan, val: StagePlan): NetworkDefaults {
  const transform = (l: CaffeLayer | null) => (l ? l.param('transform_param', FIELDS.transform) : null);
  const batchSize = batchSizeOf(train.imageLayer) ?? DEFAULT_BATCH_SIZE;
  const defaults: NetworkDefaults = {
    batchSize,
    valBatchSize: batchSizeOf(val.imageLayer) ?? batchSize,
    mirror: transform(train.imageLayer)?.bool('mirror', false) ?? false,
  };
  const crop = transform(train.imageLayer)?.int('crop_size', undefined, 1) ?? transform(val.imageLayer)?.int('crop_size', undefined, 1);
  if (crop !== undefined) defaults.cropSize = crop;
  return defaults;
}

/** Plans the three DIGITS stages of `net` for a dataset with `classes` classes (null: not classification). */
export function planNet(net: CaffeNet, classes: number | null): NetPlan {
  const fused = fusions(net);
  const train = planStage(net, 'train', fused);
  const val = planStage(net, 'val', fused);
  const trainScale = train.images[0]!.scale?.factor ?? 1;
  const valScale = val.images[0]!.scale?.factor ?? 1;
  if (val.imageLayer && trainScale !== valScale) {
    throw badNetwork(`the train and val data layers scale the images differently (${trainScale} and ${valScale}); one graph serves both`);
  }
  const deploy = planStage(net, 'deploy', fused, train);
  const heads = headsOf(train, val, classes);
  return { train, val, deploy, heads, defaults: defaultsOf(train, val), detection: detectionOf(deploy, val, heads) };
}
