/**
 * Softmax cross-entropy of logits against class indices as one op, with its gradient as one
 * more: TF.js' softmaxCrossEntropy (one-hot, log-softmax, products, sums and their gradients)
 * is about twenty dispatches a step on webgpu, where per-dispatch cost is what a small network's
 * step is made of. A label outside [0, classes) is a row of no class (tf.oneHot's zeros): no loss,
 * and TF.js' gradient, softmax − 0.
 */
import * as tf from '@tensorflow/tfjs-core';

export const SOFTMAX_CROSS_ENTROPY = { forward: 'DigitsSoftmaxCrossEntropy', grad: 'DigitsSoftmaxCrossEntropyGrad' } as const;

/** `mean` over the batch (training) or `sum` (validation totals). */
export interface SoftmaxCrossEntropyAttrs {
  reduction: 'mean' | 'sum';
}

tf.registerGradient({
  kernelName: SOFTMAX_CROSS_ENTROPY.forward,
  inputsToSave: ['logits', 'labels'],
  gradFunc: (dy, saved, attrs) => {
    const [logits, labels] = saved as [tf.Tensor2D, tf.Tensor1D];
    return {
      logits: () => tf.engine().runKernel(SOFTMAX_CROSS_ENTROPY.grad, { logits, labels, dy: dy as tf.Tensor }, attrs) as tf.Tensor,
      labels: () => tf.zerosLike(labels),
    };
  },
});

/** Whether the current backend has the fused loss. */
export const hasSoftmaxCrossEntropy = (): boolean => tf.getKernel(SOFTMAX_CROSS_ENTROPY.forward, tf.getBackend()) !== undefined;

/** The batch's softmax cross-entropy (a scalar); needs `hasSoftmaxCrossEntropy()`. */
export function softmaxCrossEntropy(logits: tf.Tensor2D, labels: tf.Tensor1D, attrs: SoftmaxCrossEntropyAttrs): tf.Scalar {
  return tf.engine().runKernel(SOFTMAX_CROSS_ENTROPY.forward, { logits, labels }, attrs as unknown as tf.NamedAttrMap) as tf.Scalar;
}
