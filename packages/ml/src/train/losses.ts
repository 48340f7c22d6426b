/** The training loss of every head of a network on one batch (dropout on), main head first. */
import { tf, tfl } from '../tf.ts';

/** Softmax cross-entropy of each head's logits against `labels`, in `model.outputs` order. */
export function headLosses(model: tfl.LayersModel, input: tf.Tensor, labels: tf.Tensor1D): tf.Scalar[] {
  const outputs = model.apply(input, { training: true }) as tf.Tensor | tf.Tensor[];
  const logits = Array.isArray(outputs) ? outputs : [outputs];
  const onehot = tf.oneHot(labels, logits[0]!.shape[1]!);
  return logits.map((l) => tf.losses.softmaxCrossEntropy(onehot, l) as tf.Scalar);
}
