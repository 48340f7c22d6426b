/**
 * LeNet as DIGITS' Caffe `lenet.prototxt` defines it (spec §13.1): input ×0.0125, conv1 20@5×5,
 * pool1 max 2 s2, conv2 50@5×5, pool2 max 2 s2, ip1 500 + ReLU, ip2 #classes; Xavier weights,
 * zero biases, no activation after the convolutions. Caffe calls the fully-connected layers
 * `ip1`/`ip2`; the scaling Power layer is `scale` (a TF.js Rescaling layer, added by index.ts).
 */
import { XAVIER } from './blocks.ts';
import { conv, pool } from './geometry.ts';
import type { NetworkDefinition } from './types.ts';

/** Caffe's Power scale for MNIST-like data (≈ 1/σ, not 1/256). */
export const LENET_INPUT_SCALE = 0.0125;

export const lenet: NetworkDefinition = {
  plans: [[conv(5), pool(2, 2), conv(5), pool(2, 2)]],
  defaults: { batchSize: 64, valBatchSize: 32, mirror: false },
  build(b, input, classes) {
    let x = b.conv(input, 'conv1', { filters: 20, kernel: 5, relu: false, weight: XAVIER, bias: 0 });
    x = b.pool(x, 'pool1', { pool: 'max', kernelSize: 2, stride: 2 });
    x = b.conv(x, 'conv2', { filters: 50, kernel: 5, relu: false, weight: XAVIER, bias: 0 });
    x = b.pool(x, 'pool2', { pool: 'max', kernelSize: 2, stride: 2 });
    x = b.dense(x, 'ip1', { units: 500, relu: true, weight: XAVIER, bias: 0 });
    const logits = b.dense(x, 'ip2', { units: classes, relu: false, weight: XAVIER, bias: 0 });
    return { logits: [logits], heads: [{ loss: 'loss', weight: 1, accuracy: 'accuracy' }] };
  },
};
