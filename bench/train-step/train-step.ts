/** One SGD-momentum training step of a tfl model with softmax cross-entropy, as a custom loop. */
import { tf, type tfl } from '../../packages/ml/src/tf.ts';
import type { HostBatch } from './mnist-batches.ts';

/** Loss of `model` on `batch` and the gradients of every trainable weight (caller disposes). */
export function lossAndGrads(model: tfl.LayersModel, batch: HostBatch): { loss: tf.Scalar; grads: tf.NamedTensorMap } {
  return tf.tidy(() => {
    const x = tf.tensor4d(batch.pixels, [batch.size, 28, 28, 1]);
    const y = tf.tensor2d(batch.oneHot, [batch.size, 10]);
    const { value, grads } = tf.variableGrads(() => {
      const logits = model.apply(x, { training: true }) as tf.Tensor;
      return tf.losses.softmaxCrossEntropy(y, logits) as tf.Scalar;
    });
    return { loss: value, grads };
  });
}

/** Runs one step and returns the loss. */
export function trainStep(model: tfl.LayersModel, optimizer: tf.Optimizer, batch: HostBatch): number {
  const { loss, grads } = lossAndGrads(model, batch);
  optimizer.applyGradients(grads);
  const value = loss.dataSync()[0]!;
  tf.dispose([loss, grads]);
  return value;
}
