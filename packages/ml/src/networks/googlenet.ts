/**
 * GoogLeNet as DIGITS' Caffe `googlenet.prototxt` defines it (spec §13.3): stem, inception
 * 3a–5b, 7×7 average pool, dropout 0.4, `loss3/classifier`; auxiliary heads after 4a (`loss1/…`)
 * and 4d (`loss2/…`) with loss weight 0.3. Xavier weights, biases 0.2, classifier biases 0.
 */
import type { tfl } from '../tf.ts';
import { XAVIER, type NetBuilder } from './blocks.ts';
import { conv, pool } from './geometry.ts';
import type { CaffePoolParams } from './pooling.ts';
import type { HeadInfo, NetworkDefinition } from './types.ts';

type Sym = tfl.SymbolicTensor;

/** Filter counts per module: 1×1, 3×3 reduce, 3×3, 5×5 reduce, 5×5, pool projection. */
export const INCEPTION_TABLE: Record<string, readonly [number, number, number, number, number, number]> = {
  '3a': [64, 96, 128, 16, 32, 32],
  '3b': [128, 128, 192, 32, 96, 64],
  '4a': [192, 96, 208, 16, 48, 64],
  '4b': [160, 112, 224, 24, 64, 64],
  '4c': [128, 128, 256, 24, 64, 64],
  '4d': [112, 144, 288, 32, 64, 64],
  '4e': [256, 160, 320, 32, 128, 128],
  '5a': [256, 160, 320, 32, 128, 128],
  '5b': [384, 192, 384, 48, 128, 128],
};

const MAX_3S2: CaffePoolParams = { pool: 'max', kernelSize: 3, stride: 2 };

/** Conv + ReLU with GoogLeNet's fillers. */
function convRelu(b: NetBuilder, x: Sym, name: string, filters: number, kernel: number, stride = 1, pad = 0): Sym {
  return b.conv(x, name, { filters, kernel, stride, pad, relu: true, weight: XAVIER, bias: 0.2 });
}

function inception(b: NetBuilder, x: Sym, module: string): Sym {
  const [c1, r3, c3, r5, c5, proj] = INCEPTION_TABLE[module]!;
  const n = `inception_${module}`;
  const a = convRelu(b, x, `${n}/1x1`, c1, 1);
  const t = convRelu(b, convRelu(b, x, `${n}/3x3_reduce`, r3, 1), `${n}/3x3`, c3, 3, 1, 1);
  const f = convRelu(b, convRelu(b, x, `${n}/5x5_reduce`, r5, 1), `${n}/5x5`, c5, 5, 1, 2);
  const p = convRelu(b, b.pool(x, `${n}/pool`, { pool: 'max', kernelSize: 3, stride: 1, pad: 1 }), `${n}/pool_proj`, proj, 1);
  return b.concat([a, t, f, p], `${n}/output`);
}

/** Auxiliary classifier `loss<k>/…` (training only). */
function auxHead(b: NetBuilder, x: Sym, k: number, classes: number): Sym {
  let y = b.pool(x, `loss${k}/ave_pool`, { pool: 'ave', kernelSize: 5, stride: 3 });
  y = convRelu(b, y, `loss${k}/conv`, 128, 1);
  y = b.dense(y, `loss${k}/fc`, { units: 1024, relu: true, weight: XAVIER, bias: 0.2 });
  y = b.dropout(y, `loss${k}/drop_fc`, 0.7);
  return b.dense(y, `loss${k}/classifier`, { units: classes, relu: false, weight: XAVIER, bias: 0 });
}

function stem(b: NetBuilder, input: Sym): Sym {
  let x = convRelu(b, input, 'conv1/7x7_s2', 64, 7, 2, 3);
  x = b.lrn(b.pool(x, 'pool1/3x3_s2', MAX_3S2), 'pool1/norm1');
  x = convRelu(b, x, 'conv2/3x3_reduce', 64, 1);
  x = convRelu(b, x, 'conv2/3x3', 192, 3, 1, 1);
  return b.pool(b.lrn(x, 'conv2/norm2'), 'pool2/3x3_s2', MAX_3S2);
}

/** DIGITS series names of a head; top-5 only where DIGITS keeps it (≥ 5 classes, §8.3). */
function head(prefix: string, weight: number, classes: number): HeadInfo {
  const info: HeadInfo = { loss: `${prefix}loss`, weight, accuracy: `${prefix}accuracy` };
  if (classes >= 5) info.accuracyTop5 = `${prefix}accuracy-top5`;
  return info;
}

const STEM = [conv(7, 2, 3), pool(3, 2), conv(1), conv(3, 1, 1), pool(3, 2), pool(3, 2)];

export const googlenet: NetworkDefinition = {
  // Inception modules keep the spatial size, so only the stem and the pools matter.
  plans: [[...STEM, pool(3, 2), pool(7, 1)], [...STEM, pool(5, 3)]],
  defaults: { batchSize: 32, valBatchSize: 16, cropSize: 224, mirror: true },
  build(b, input, classes) {
    let x = inception(b, inception(b, stem(b, input), '3a'), '3b');
    x = inception(b, b.pool(x, 'pool3/3x3_s2', MAX_3S2), '4a');
    const aux1 = auxHead(b, x, 1, classes);
    x = inception(b, inception(b, inception(b, x, '4b'), '4c'), '4d');
    const aux2 = auxHead(b, x, 2, classes);
    x = inception(b, b.pool(inception(b, x, '4e'), 'pool4/3x3_s2', MAX_3S2), '5a');
    x = b.pool(inception(b, x, '5b'), 'pool5/7x7_s1', { pool: 'ave', kernelSize: 7, stride: 1 });
    x = b.dropout(x, 'pool5/drop_7x7_s1', 0.4);
    const main = b.dense(x, 'loss3/classifier', { units: classes, relu: false, weight: XAVIER, bias: 0 });
    return {
      logits: [main, aux1, aux2],
      heads: [head('', 1, classes), head('loss1/', 0.3, classes), head('loss2/', 0.3, classes)],
    };
  },
};
