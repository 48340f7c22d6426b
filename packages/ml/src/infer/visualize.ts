/**
 * classify_one's show_visualizations (contract §10.2): per layer, the shape and statistics of its
 * activations for the image and of its weights — what DIGITS drew as layer tiles, as numbers.
 */
import { tf, tfl } from '../tf.ts';

/** Bins of every histogram. */
const BINS = 20;

export interface TensorStats {
  shape: number[];
  mean: number;
  std: number;
  /** `counts[i]` values fell in [edges[i], edges[i+1]). */
  histogram: { edges: number[]; counts: number[] };
}

export interface LayerVisualization {
  name: string;
  type: string;
  activations: TensorStats;
  /** Statistics of all the layer's weights together, when it has any. */
  weights: TensorStats | null;
  parameters: number;
}

function statsOf(values: Float32Array, shape: number[]): TensorStats {
  let sum = 0;
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (const v of values) {
    sum += v;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const mean = values.length > 0 ? sum / values.length : 0;
  let squares = 0;
  for (const v of values) squares += (v - mean) ** 2;
  const width = max > min ? (max - min) / BINS : 1;
  const counts = new Array<number>(BINS).fill(0);
  for (const v of values) counts[Math.min(BINS - 1, Math.floor((v - min) / width))]!++;
  const round = (x: number) => Number(x.toPrecision(6));
  return {
    shape,
    mean: round(mean),
    std: round(Math.sqrt(values.length > 0 ? squares / values.length : 0)),
    histogram: { edges: Array.from({ length: BINS + 1 }, (_, i) => round((Number.isFinite(min) ? min : 0) + i * width)), counts },
  };
}

/** Runs `input` (one image, NHWC) through `model` and summarises every layer after the input. */
export async function visualizeLayers(model: tfl.LayersModel, input: tf.Tensor4D): Promise<LayerVisualization[]> {
  const layers = model.layers.filter((l) => l.getClassName() !== 'InputLayer');
  const probe = tfl.model({ inputs: model.inputs, outputs: layers.map((l) => l.output as tfl.SymbolicTensor) });
  const out = tf.tidy(() => probe.predict(input) as tf.Tensor | tf.Tensor[]);
  const tensors = Array.isArray(out) ? out : [out];
  let outputs: { shape: number[]; data: Float32Array }[];
  try {
    outputs = await Promise.all(tensors.map(async (t) => ({ shape: t.shape, data: (await t.data()) as Float32Array })));
  } finally {
    tf.dispose(tensors);
  }
  return Promise.all(layers.map(async (layer, i) => {
    const weights = layer.getWeights();
    const values = await Promise.all(weights.map(async (w) => Array.from((await w.data()) as Float32Array)));
    const all = weights.length > 0 ? Float32Array.from(values.flat()) : null;
    return {
      name: layer.name,
      type: layer.getClassName(),
      activations: statsOf(outputs[i]!.data, outputs[i]!.shape.slice(1)),
      weights: all ? statsOf(all, weights.length === 1 ? weights[0]!.shape : [all.length]) : null,
      parameters: layer.countParams(),
    };
  }));
}
