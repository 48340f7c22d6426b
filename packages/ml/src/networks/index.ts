/**
 * DIGITS' standard image-classification networks (LeNet, AlexNet, GoogLeNet; spec §13) as
 * TF.js layers models with Caffe's layer names, fillers and feature-map sizes.
 */
import { tfl } from '../tf.ts';
import { alexnet } from './alexnet.ts';
import { NetBuilder } from './blocks.ts';
import { assertInputSize, minInputSize } from './geometry.ts';
import { googlenet } from './googlenet.ts';
import { lenet, LENET_INPUT_SCALE } from './lenet.ts';
import { isStandardNetworkName } from '@digits-ts/contracts';
import { STANDARD_NETWORKS, type BuildOptions, type BuiltNetwork, type NetworkDefinition, type StandardNetwork } from './types.ts';

export { STANDARD_NETWORKS };
export type { BuildOptions, BuiltNetwork, HeadInfo, LossKind, NetworkDefaults, StandardNetwork } from './types.ts';
export { LOSS_LAYER_TYPES } from './types.ts';
export { LRN, type LRNArgs } from './lrn.ts';
export { GroupConv2D, type GroupConv2DArgs } from './group-conv.ts';
export { CaffePooling2D, caffePooling, type CaffePoolParams, type CaffePooling2DArgs } from './pooling.ts';
export { convOutSize, poolOutSize } from './geometry.ts';
export { caffeLayerName, tfLayerName } from './naming.ts';
export { copyMatchingWeights, type CopyResult } from './weights.ts';
export { loadCaffeWeights, type CaffeWeightsResult } from './caffe-weights.ts';
export { readCaffeModel, type CaffeBlob, type CaffeModel, type CaffeModelLayer } from './caffemodel.ts';
export { INCEPTION_TABLE } from './googlenet.ts';
export { LENET_INPUT_SCALE };
// Caffe prototxt networks; importing this module also registers their custom layers for deserialisation
export { buildCaffeNetwork, CaffeBatchNorm, CaffeEltwise, caffeNetworkGraph, CaffePower, CaffeScale, LAYER_FACTORIES, type CaffeBuildOptions } from './caffe/index.ts';

const DEFINITIONS: Record<StandardNetwork, NetworkDefinition> = { lenet, alexnet, googlenet };

/** Whether `name` is one of {@link STANDARD_NETWORKS} (the form's list, in contracts). */
export const isStandardNetwork: (name: string) => name is StandardNetwork = isStandardNetworkName;

/** Smallest height (= width) `name` accepts: every feature map must stay ≥ 1×1. */
export function minimumInputSize(name: StandardNetwork): number {
  return minInputSize(DEFINITIONS[name].plans);
}

function checkOptions(name: string, options: BuildOptions): void {
  if (!isStandardNetwork(name)) {
    throw new Error(`Expected a standard network (${STANDARD_NETWORKS.join(', ')}) but received ${name}`);
  }
  const shape = options.inputShape;
  if (!Array.isArray(shape) || shape.length !== 3 || !shape.every((n) => Number.isInteger(n) && n >= 1)) {
    throw new Error(`Expected inputShape [height, width, channels] of positive integers but received ${JSON.stringify(shape)}`);
  }
  if (!Number.isInteger(options.classes) || options.classes < 1) {
    throw new Error(`Expected a positive integer number of classes but received ${options.classes}`);
  }
}

/**
 * Builds `name` for inputs of `inputShape` (already cropped) and `classes` outputs.
 * Throws before allocating anything when the input is too small for the network, e.g.
 * `Expected input of at least 39×39 for alexnet but received 28×28`.
 */
export function buildStandardNetwork(name: StandardNetwork, options: BuildOptions): BuiltNetwork {
  checkOptions(name, options);
  const def = DEFINITIONS[name];
  const [height, width] = options.inputShape;
  assertInputSize(name, def.plans, height, width);
  const data = tfl.input({ shape: [...options.inputShape], name: 'data' });
  // DIGITS' LeNet scales 0..255 pixels by 0.0125 (Caffe Power layer `scale`); the others take raw pixels minus mean.
  const scaled = name === 'lenet'
    ? (tfl.layers.rescaling({ name: 'scale', scale: LENET_INPUT_SCALE, offset: 0 }).apply(data) as tfl.SymbolicTensor)
    : data;
  const builder = new NetBuilder(options.seed);
  const { logits, heads } = def.build(builder, scaled, options.classes);
  const model = tfl.model({ name, inputs: data, outputs: logits });
  const probabilities = tfl.layers.softmax({ name: 'softmax' }).apply(logits[0]!) as tfl.SymbolicTensor;
  const deploy = tfl.model({ name: `${name}_deploy`, inputs: data, outputs: probabilities });
  return { model, heads, deploy, decayed: builder.decayed, defaults: { ...def.defaults } };
}

/** Frees a built network's weights (`deploy` shares them with `model`). */
export function disposeNetwork(net: BuiltNetwork): void {
  net.model.dispose();
}

/** The input each standard network's JSON is written for: its usual (cropped) input and 1000 / 10 classes. */
const STANDARD_JSON_SHAPES: Record<StandardNetwork, { inputShape: [number, number, number]; classes: number }> = {
  lenet: { inputShape: [28, 28, 1], classes: 10 },
  alexnet: { inputShape: [227, 227, 3], classes: 1000 },
  googlenet: { inputShape: [224, 224, 3], classes: 1000 },
};

/** `name`'s deploy graph as TF.js layers JSON, for its usual input (the text `customize` serves). */
export function standardNetworkJson(name: StandardNetwork): string {
  const net = buildStandardNetwork(name, STANDARD_JSON_SHAPES[name]);
  try {
    return `${JSON.stringify(net.deploy.toJSON(null, false), null, 1)}\n`;
  } finally {
    disposeNetwork(net);
  }
}
