/**
 * `method=custom` with a TF.js / Keras layers model topology (JSON, read as the form reads it). Declarative only: the JSON
 * names layer classes TF.js knows; nothing in it is executed (contract §14).
 */
import { Errors, readLayersTopology } from '@digits-ts/contracts';
import type { BuiltNetwork } from '../networks/index.ts';
import { tfl } from '../tf.ts';

type Json = Record<string, unknown>;

/** The last layer's config, whose softmax we move out of the training graph (we train on logits). */
function lastLayerConfig(model: Json): Json | null {
  const config = model.config as Json | Json[];
  const layers = (Array.isArray(config) ? config : (config.layers as Json[] | undefined)) ?? [];
  const last = layers[layers.length - 1];
  return last && typeof last.config === 'object' ? (last.config as Json) : null;
}

/** Builds a custom network: training graph emitting logits, deploy graph ending in softmax. */
export async function buildCustomNetwork(definition: string, inputShape: [number, number, number], classes: number): Promise<BuiltNetwork> {
  const read = readLayersTopology(definition);
  if ('problem' in read) throw Errors.NETWORK_INVALID(`Bad network: ${read.problem}`);
  const topology = read.topology;
  const last = lastLayerConfig(topology);
  if (last?.activation === 'softmax') last.activation = 'linear';
  let model: tfl.LayersModel;
  try {
    model = await tfl.models.modelFromJSON(topology as never);
  } catch (err) {
    throw Errors.NETWORK_INVALID(`Bad network: ${(err as Error).message}`);
  }
  const input = model.inputs[0]!.shape.slice(1);
  const output = model.outputs[0]!.shape;
  if (model.inputs.length !== 1 || input.some((d, i) => d !== null && d !== inputShape[i])) {
    model.dispose();
    throw Errors.MODEL_SHAPE_MISMATCH(`the custom network takes input ${JSON.stringify(input)} but the dataset gives [${inputShape.join(', ')}]`);
  }
  if (output.length !== 2 || output[1] !== classes) {
    model.dispose();
    throw Errors.MODEL_SHAPE_MISMATCH(`the custom network outputs ${JSON.stringify(output.slice(1))} values but the dataset has ${classes} classes`);
  }
  const probabilities = tfl.layers.activation({ activation: 'softmax', name: 'softmax' }).apply(model.outputs[0]!) as tfl.SymbolicTensor;
  const deploy = tfl.model({ inputs: model.inputs, outputs: probabilities });
  const decayed = model.layers.filter((l) => l.getClassName().startsWith('Conv') || l.getClassName() === 'Dense').map((l) => l.name);
  return { model, deploy, heads: [{ loss: 'loss', weight: 1, accuracy: 'accuracy' }], decayed, defaults: { batchSize: 16, valBatchSize: 16, mirror: false } };
}
