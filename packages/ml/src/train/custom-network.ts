/**
 * `method=custom` (§8.1): a TF.js / Keras layers model topology (JSON, read as the form reads
 * it) or a Caffe prototxt, told apart by `detectNetworkFormat`. Declarative only: nothing in
 * the text is executed (contract §14).
 */
import { Errors } from '@digits-ts/contracts';
import { detectNetworkFormat, readLayersTopology } from '@digits-ts/caffe';
import { buildCaffeNetwork } from '../networks/caffe/build.ts';
import type { BuiltNetwork, HeadInfo } from '../networks/index.ts';
import { tfl } from '../tf.ts';

type Json = Record<string, unknown>;

/** The last layer's config: a classifier's softmax moves out of the training graph (we train on logits). */
function lastLayerConfig(model: Json): Json | null {
  const config = model.config as Json | Json[];
  const layers = (Array.isArray(config) ? config : (config.layers as Json[] | undefined)) ?? [];
  const last = layers[layers.length - 1];
  return last && typeof last.config === 'object' ? (last.config as Json) : null;
}

function checkInput(model: tfl.LayersModel, inputShape: [number, number, number]): void {
  const input = model.inputs[0]!.shape.slice(1);
  if (model.inputs.length !== 1 || input.some((d, i) => d !== null && d !== inputShape[i])) {
    model.dispose();
    throw Errors.MODEL_SHAPE_MISMATCH(`the custom network takes input ${JSON.stringify(input)} but the dataset gives [${inputShape.join(', ')}]`);
  }
}

/** Whether `layer` only applies a softmax (a Softmax layer, or an Activation of softmax). */
function isSoftmaxLayer(layer: tfl.layers.Layer): boolean {
  const name = layer.getClassName();
  return name === 'Softmax' || (name === 'Activation' && (layer.getConfig() as Json).activation === 'softmax');
}

/**
 * A layers JSON network. Classification (`classes` set): trained on logits, deployed with a
 * softmax. Generic (`classes` null): a network ending in softmax still classifies the scalar
 * labels; any other is a regression on the label vectors with mean squared error, deployed as is.
 */
async function buildLayersNetwork(definition: string, inputShape: [number, number, number], classes: number | null): Promise<BuiltNetwork> {
  const read = readLayersTopology(definition);
  if ('problem' in read) throw Errors.NETWORK_INVALID(`Bad network: ${read.problem}`);
  const topology = read.topology;
  const last = lastLayerConfig(topology);
  // a softmax fused into the last layer is moved out of the training graph (we train on logits)
  const fusedSoftmax = last?.activation === 'softmax';
  if (fusedSoftmax) last.activation = 'linear';
  let full: tfl.LayersModel;
  try {
    full = await tfl.models.modelFromJSON(topology as never);
  } catch (err) {
    throw Errors.NETWORK_INVALID(`Bad network: ${(err as Error).message}`);
  }
  checkInput(full, inputShape);
  // …and so is a trailing Softmax layer: the logits are its input
  const outputLayer = full.outputs[0]!.sourceLayer as tfl.layers.Layer;
  const softmaxLayer = full.outputs.length === 1 && isSoftmaxLayer(outputLayer);
  const model = softmaxLayer ? tfl.model({ inputs: full.inputs, outputs: outputLayer.input as tfl.SymbolicTensor }) : full;
  const classifies = classes !== null || fusedSoftmax || softmaxLayer;
  const output = model.outputs[0]!.shape;
  if (classes !== null && (output.length !== 2 || output[1] !== classes)) {
    full.dispose();
    throw Errors.MODEL_SHAPE_MISMATCH(`the custom network outputs ${JSON.stringify(output.slice(1))} values but the dataset has ${classes} classes`);
  }
  const decayed = model.layers.filter((l) => l.getClassName().startsWith('Conv') || l.getClassName() === 'Dense').map((l) => l.name);
  const defaults = { batchSize: 16, valBatchSize: 16, mirror: false };
  if (!classifies) {
    const heads: HeadInfo[] = [{ loss: 'loss', weight: 1, kind: 'mse' }];
    return { model, deploy: model, heads, decayed, defaults, outputs: model.outputs.map((o) => o.sourceLayer.name) };
  }
  const heads: HeadInfo[] = [{ loss: 'loss', weight: 1, accuracy: 'accuracy' }];
  if (softmaxLayer) return { model, deploy: full, heads, decayed, defaults, outputs: [outputLayer.name] };
  const probabilities = tfl.layers.activation({ activation: 'softmax', name: 'softmax' }).apply(model.outputs[0]!) as tfl.SymbolicTensor;
  const deploy = tfl.model({ inputs: model.inputs, outputs: probabilities });
  return { model, deploy, heads, decayed, defaults, outputs: ['softmax'] };
}

/** Builds a custom network for inputs of `inputShape`; `classes` null for generic (non-classification) datasets. */
export async function buildCustomNetwork(definition: string, inputShape: [number, number, number], classes: number | null, seed?: number): Promise<BuiltNetwork> {
  const detected = detectNetworkFormat(definition);
  if ('refused' in detected) throw Errors.NETWORK_INVALID(detected.refused);
  if (detected.format === 'layers-json') return buildLayersNetwork(definition, inputShape, classes);
  const network = buildCaffeNetwork(definition, { inputShape, classes, ...(seed !== undefined ? { seed } : {}) });
  checkInput(network.model, inputShape);
  return network;
}
