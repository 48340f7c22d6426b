/**
 * AlexNet as DIGITS' Caffe `alexnet.prototxt` defines it (spec §13.2), with Caffe's channel
 * groups (conv2/4/5), LRN after relu1/relu2, Gaussian fillers σ 0.01 (fc6/fc7 σ 0.005) and
 * biases 0 (conv1, conv3, fc8) or 0.1. ReLUs are fused into the layer before them.
 */
import type { tfl } from '../tf.ts';
import { gauss, type NetBuilder } from './blocks.ts';
import { conv, pool } from './geometry.ts';
import type { CaffePoolParams } from './pooling.ts';
import type { NetworkDefinition } from './types.ts';

const POOL: CaffePoolParams = { pool: 'max', kernelSize: 3, stride: 2 };

/** conv1 … pool5. */
function features(b: NetBuilder, input: tfl.SymbolicTensor): tfl.SymbolicTensor {
  let x = b.conv(input, 'conv1', { filters: 96, kernel: 11, stride: 4, relu: true, weight: gauss(0.01), bias: 0 });
  x = b.pool(b.lrn(x, 'norm1'), 'pool1', POOL);
  x = b.conv(x, 'conv2', { filters: 256, kernel: 5, pad: 2, group: 2, relu: true, weight: gauss(0.01), bias: 0.1 });
  x = b.pool(b.lrn(x, 'norm2'), 'pool2', POOL);
  x = b.conv(x, 'conv3', { filters: 384, kernel: 3, pad: 1, relu: true, weight: gauss(0.01), bias: 0 });
  x = b.conv(x, 'conv4', { filters: 384, kernel: 3, pad: 1, group: 2, relu: true, weight: gauss(0.01), bias: 0.1 });
  x = b.conv(x, 'conv5', { filters: 256, kernel: 3, pad: 1, group: 2, relu: true, weight: gauss(0.01), bias: 0.1 });
  return b.pool(x, 'pool5', POOL);
}

export const alexnet: NetworkDefinition = {
  plans: [[conv(11, 4), pool(3, 2), conv(5, 1, 2), pool(3, 2), conv(3, 1, 1), conv(3, 1, 1), conv(3, 1, 1), pool(3, 2)]],
  defaults: { batchSize: 128, valBatchSize: 32, cropSize: 227, mirror: true },
  build(b, input, classes) {
    let x = features(b, input);
    x = b.dense(x, 'fc6', { units: 4096, relu: true, weight: gauss(0.005), bias: 0.1 });
    x = b.dropout(x, 'drop6', 0.5);
    x = b.dense(x, 'fc7', { units: 4096, relu: true, weight: gauss(0.005), bias: 0.1 });
    x = b.dropout(x, 'drop7', 0.5);
    const logits = b.dense(x, 'fc8', { units: classes, relu: false, weight: gauss(0.01), bias: 0 });
    return { logits: [logits], heads: [{ loss: 'loss', weight: 1, accuracy: 'accuracy' }] };
  },
};
