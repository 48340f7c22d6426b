/**
 * Caffe's grouped convolution as one op: group g of the filters sees only input channels
 * [g·cin/G, (g+1)·cin/G). Backends with the `DigitsGroupConv2D` kernels (webgpu) run each pass
 * as one dispatch; `GroupConv2D` splits and concatenates on the others.
 */
import * as tf from '@tensorflow/tfjs-core';

/** Kernel names of the grouped convolution and its two gradients. */
export const GROUP_CONV = { forward: 'DigitsGroupConv2D', inputGrad: 'DigitsGroupConv2DBackpropInput', filterGrad: 'DigitsGroupConv2DBackpropFilter' } as const;

/** Attributes of the grouped convolution kernels (NHWC, square strides, TF padding modes). */
export interface GroupConvAttrs {
  strides: number;
  pad: 'valid' | 'same';
  groups: number;
}

tf.registerGradient({
  kernelName: GROUP_CONV.forward,
  inputsToSave: ['x', 'filter'],
  gradFunc: (dy, saved, attrs) => {
    const [x, filter] = saved as [tf.Tensor4D, tf.Tensor4D];
    const a = attrs as unknown as GroupConvAttrs;
    const dy4 = dy as tf.Tensor4D;
    return {
      x: () => tf.engine().runKernel(GROUP_CONV.inputGrad, { dy: dy4, filter }, { ...a, inputShape: x.shape } as unknown as tf.NamedAttrMap) as tf.Tensor,
      filter: () => tf.engine().runKernel(GROUP_CONV.filterGrad, { x, dy: dy4 }, { ...a, filterShape: filter.shape } as unknown as tf.NamedAttrMap) as tf.Tensor,
    };
  },
});

/** Whether the current backend runs the grouped convolution as one op. */
export const hasGroupConv = (): boolean => tf.getKernel(GROUP_CONV.forward, tf.getBackend()) !== undefined;

/** conv(x, filter) with `groups` channel groups (filter [k, k, cin/groups, cout]); needs `hasGroupConv()`. */
export function groupConv2d(x: tf.Tensor4D, filter: tf.Tensor4D, attrs: GroupConvAttrs): tf.Tensor4D {
  return tf.engine().runKernel(GROUP_CONV.forward, { x, filter }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor4D;
}
