/**
 * One momentum-SGD update of a variable as one op (Caffe's SGD with weight decay folded in):
 *   g' = g + decay·v;   a' = momentum·a + g';   v' = v − lr·a'   (Nesterov: v' = v − lr·(g' + momentum·a'))
 * TF.js' optimizer and the trainer's decay spend six element-wise dispatches per variable on
 * this; the `DigitsMomentumUpdate` kernel (webgpu) spends two.
 */
import * as tf from '@tensorflow/tfjs-core';

export const MOMENTUM_UPDATE = 'DigitsMomentumUpdate';

/** Attributes of the update: the rate of this step, Caffe's momentum, the variable's decay. */
export interface MomentumUpdateAttrs {
  lr: number;
  momentum: number;
  decay: number;
  nesterov: boolean;
}

/** Whether the current backend has the fused update. */
export const hasMomentumUpdate = (): boolean => tf.getKernel(MOMENTUM_UPDATE, tf.getBackend()) !== undefined;

/** [a', v'] for a variable `value`, its accumulation and its gradient; needs `hasMomentumUpdate()`. */
export function momentumUpdate(value: tf.Tensor, accumulation: tf.Tensor, gradient: tf.Tensor, attrs: MomentumUpdateAttrs): [tf.Tensor, tf.Tensor] {
  return tf.engine().runKernel(MOMENTUM_UPDATE, { value, accumulation, gradient }, attrs as unknown as tf.NamedAttrMap) as unknown as [tf.Tensor, tf.Tensor];
}
