/** Weight transfer between models, for fine-tuning from a previous model's snapshot. */
import type { tfl } from '../tf.ts';

/** Which layers `copyMatchingWeights` copied and which it left as initialised. */
export interface CopyResult {
  /** Layer names whose weights were copied. */
  copied: string[];
  /** Layer names with weights in `to` that had no same-named, same-shaped layer in `from`. */
  skipped: string[];
}

function sameShapes(a: tfl.LayerVariable[], b: tfl.LayerVariable[]): boolean {
  return a.length === b.length && a.every((v, i) => {
    const other = b[i]!.shape;
    return v.shape.length === other.length && v.shape.every((d, j) => d === other[j]);
  });
}

/**
 * Copies weights layer by layer from `from` into `to` where the layer name and every weight
 * shape match. A classifier whose class count changed is skipped and keeps its fresh weights —
 * DIGITS gets the same effect by renaming the last InnerProduct `<name>_retrain`.
 */
export function copyMatchingWeights(from: tfl.LayersModel, to: tfl.LayersModel): CopyResult {
  const sources = new Map(from.layers.map((layer) => [layer.name, layer]));
  const result: CopyResult = { copied: [], skipped: [] };
  for (const layer of to.layers) {
    if (layer.weights.length === 0) continue;
    const source = sources.get(layer.name);
    if (source && sameShapes(layer.weights, source.weights)) {
      layer.setWeights(source.getWeights());
      result.copied.push(layer.name);
    } else {
      result.skipped.push(layer.name);
    }
  }
  return result;
}
