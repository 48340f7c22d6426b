// Caffe layers → TF.js layers (wasm backend): every layer mapping against hand computations —
// convolution, pooling, inner product and activations, concat and eltwise, BatchNorm with Scale.
import { tf } from '../../packages/ml/src/tf.ts';
import { type Img, type Pair, type Shape3, close, convRef, dispose, flat, forward, mapImg, poolRef, probe, test, weightsOf } from './caffe-helpers.ts';

test('Convolution: pad, stride, rectangles, groups, dilation, bias_term', async (t) => {
  const cases: [string, Shape3, Pair, Pair, Pair, number][] = [
    ['num_output: 3 kernel_size: 3 stride: 2 pad: 1', [5, 6, 2], [2, 2], [1, 1], [1, 1], 1],
    ['num_output: 2 kernel_h: 3 kernel_w: 1 pad_h: 1 pad_w: 0', [4, 4, 2], [1, 1], [1, 0], [1, 1], 1],
    ['num_output: 2 kernel_size: 2 kernel_size: 3 stride: 1 stride: 2 pad: 0 pad: 2', [5, 5, 1], [1, 2], [0, 2], [1, 1], 1],
    ['num_output: 4 kernel_size: 3 pad: 1 group: 2', [4, 4, 4], [1, 1], [1, 1], [1, 1], 2],
    ['num_output: 4 kernel_size: 3 pad: 2 stride: 2 group: 2', [5, 5, 2], [2, 2], [2, 2], [1, 1], 2],
    ['num_output: 2 kernel_size: 3 dilation: 2 pad: 1', [7, 7, 1], [1, 1], [1, 1], [2, 2], 1],
  ];
  for (const [param, shape, stride, pad, dilation, group] of cases) {
    const fill = 'weight_filler { type: "gaussian" std: 0.5 } bias_filler { type: "uniform" min: -1 max: 1 }';
    const net = probe(`layer { name: "conv" type: "Convolution" bottom: "data" top: "conv" convolution_param { ${param} ${fill} } }`, 'conv', shape);
    const [kernel, bias] = weightsOf(net, 'conv') as [number[][][][], number[]];
    const { x, y } = forward(net, shape);
    close(t, y, convRef(x, kernel, bias, stride, pad, dilation, group), param);
    t.same(net.decayed, ['conv']);
    dispose(net);
  }
  const noBias = probe('layer { name: "c" type: "Convolution" bottom: "data" top: "c" convolution_param { num_output: 2 kernel_size: 1 bias_term: false } }', 'c', [2, 2, 3]);
  t.equal(noBias.model.countParams(), 6, 'no bias, and Caffe\'s default constant-0 filler');
  close(t, forward(noBias, [2, 2, 3]).y, [[[0, 0], [0, 0]], [[0, 0], [0, 0]]], 'constant 0 weights');
  dispose(noBias);
});

test('Pooling: Caffe ceil mode, padded averages, global pooling', async (t) => {
  const cases: [string, Shape3, 'max' | 'ave', number, number, number][] = [
    ['pool: MAX kernel_size: 3 stride: 2', [6, 6, 2], 'max', 3, 2, 0],
    ['pool: AVE kernel_size: 3 stride: 2 pad: 1', [5, 5, 2], 'ave', 3, 2, 1],
    ['pool: AVE kernel_size: 2 stride: 2', [5, 7, 1], 'ave', 2, 2, 0],
    ['pool: MAX kernel_size: 3 stride: 1 pad: 1', [4, 4, 3], 'max', 3, 1, 1],
  ];
  for (const [param, shape, pool, k, s, p] of cases) {
    const net = probe(`layer { name: "pool" type: "Pooling" bottom: "data" top: "pool" pooling_param { ${param} } }`, 'pool', shape);
    const { x, y } = forward(net, shape);
    close(t, y, poolRef(x, pool, k, s, p), param);
    dispose(net);
  }
  const ceil = probe('layer { name: "pool" type: "Pooling" bottom: "data" top: "pool" pooling_param { pool: MAX kernel_size: 3 stride: 2 } }', 'pool', [6, 6, 1]);
  t.same(ceil.deploy.outputs[0]!.shape, [null, 3, 3, 1], '6 → 3 (TF.js valid pooling would give 2)');
  dispose(ceil);
  for (const shape of [[4, 6, 2], [3, 3, 2]] as Shape3[]) {
    const net = probe('layer { name: "gap" type: "Pooling" bottom: "data" top: "gap" pooling_param { pool: AVE global_pooling: true } }', 'gap', shape);
    const { x, y } = forward(net, shape);
    const mean = [0, 1].map((c) => flat(x.map((r) => r.map((p) => p[c]))).reduce((a, b) => a + b, 0) / (shape[0] * shape[1]));
    close(t, y, [[mean]], `global average over ${shape.join('×')}`);
    t.same(net.deploy.outputs[0]!.shape, [null, 1, 1, 2]);
    dispose(net);
  }
});

test('InnerProduct flattens, activations, Dropout, Flatten, Power, Softmax, LRN', async (t) => {
  const ip = probe('layer { name: "ip" type: "InnerProduct" bottom: "data" top: "ip" inner_product_param { num_output: 4 weight_filler { type: "xavier" } bias_filler { type: "gaussian" std: 1 } } }', 'ip', [2, 2, 3]);
  const [w, b] = weightsOf(ip, 'ip') as [number[][], number[]];
  const { x, y } = forward(ip, [2, 2, 3]);
  const v = flat(x);
  close(t, y, b.map((bias, j) => v.reduce((s, xi, i) => s + xi * w[i]![j]!, bias)), 'flatten then x·W + b');
  t.same(ip.model.layers.map((l) => l.getClassName()), ['InputLayer', 'Flatten', 'Dense']);
  dispose(ip);

  const shape: Shape3 = [2, 3, 4];
  const body = [
    'layer { name: "leaky" type: "ReLU" bottom: "data" top: "leaky" relu_param { negative_slope: 0.1 } }',
    'layer { name: "relu" type: "ReLU" bottom: "data" top: "relu" }',
    'layer { name: "sig" type: "Sigmoid" bottom: "data" top: "sig" }',
    'layer { name: "tanh" type: "TanH" bottom: "data" top: "tanh" }',
    'layer { name: "drop" type: "Dropout" bottom: "data" top: "drop" dropout_param { dropout_ratio: 0.3 } }',
    'layer { name: "pow" type: "Power" bottom: "data" top: "pow" power_param { power: 2 scale: 0.5 shift: 1 } }',
    'layer { name: "lin" type: "Power" bottom: "data" top: "lin" power_param { scale: 3 shift: -1 } }',
    'layer { name: "soft" type: "Softmax" bottom: "data" top: "soft" }',
    'layer { name: "norm" type: "LRN" bottom: "data" top: "norm" lrn_param { local_size: 3 alpha: 0.3 beta: 0.75 k: 2 } }',
    'layer { name: "all" type: "Concat" bottom: "leaky" bottom: "relu" bottom: "sig" bottom: "tanh" bottom: "drop" bottom: "pow" bottom: "lin" bottom: "soft" bottom: "norm" top: "all" }',
  ].join('\n');
  const net = probe(body, 'all', shape);
  const out = forward(net, shape);
  const part = (i: number) => out.y.map((r) => r.map((p) => p.slice(i * 4, i * 4 + 4)));
  const softmax = out.x.map((r) => r.map((p) => {
    const e = p.map(Math.exp);
    return e.map((v) => v / e.reduce((a, c) => a + c, 0));
  }));
  const lrn = out.x.map((r) => r.map((p) => p.map((a, c) => {
    const window = [c - 1, c, c + 1].filter((i) => i >= 0 && i < 4).reduce((s, i) => s + p[i]! ** 2, 0);
    return a / (2 + (0.3 / 3) * window) ** 0.75;
  })));
  const expected: [string, Img][] = [
    ['leaky ReLU', mapImg(out.x, (v) => (v > 0 ? v : 0.1 * v))], ['ReLU', mapImg(out.x, (v) => Math.max(v, 0))],
    ['Sigmoid', mapImg(out.x, (v) => 1 / (1 + Math.exp(-v)))], ['TanH', mapImg(out.x, Math.tanh)],
    ['Dropout is the identity when deployed', out.x], ['Power', mapImg(out.x, (v) => (1 + 0.5 * v) ** 2)],
    ['linear Power', mapImg(out.x, (v) => 3 * v - 1)], ['Softmax over channels', softmax], ['LRN across channels', lrn],
  ];
  expected.forEach(([what, want], i) => close(t, part(i), want, what));
  const classes = Object.fromEntries(net.model.layers.map((l) => [l.name, l.getClassName()]));
  t.match(classes, { leaky: 'LeakyReLU', relu: 'ReLU', drop: 'Dropout', pow: 'CaffePower', lin: 'Rescaling', soft: 'Softmax', norm: 'LRN' });
  t.equal((net.model.getLayer('drop').getConfig() as { rate: number }).rate, 0.3);
  dispose(net);

  const flatNet = probe('layer { name: "flat" type: "Flatten" bottom: "data" top: "flat" }', 'flat', [2, 3, 4]);
  t.same(flatNet.deploy.outputs[0]!.shape, [null, 24]);
  dispose(flatNet);
});

test('Concat axes and Eltwise operations', async (t) => {
  const branches = [
    'layer { name: "a" type: "Power" bottom: "data" top: "a" power_param { shift: 1 } }',
    'layer { name: "b" type: "Power" bottom: "data" top: "b" power_param { scale: 2 } }',
  ].join('\n');
  const shape: Shape3 = [2, 3, 2];
  const concat = (axis: number, expectShape: (number | null)[]) => {
    const net = probe(`${branches}\nlayer { name: "cat" type: "Concat" bottom: "a" bottom: "b" top: "cat" concat_param { axis: ${axis} } }`, 'cat', shape);
    t.same(net.deploy.outputs[0]!.shape, expectShape, `Concat axis ${axis}`);
    const { x, y } = forward(net, shape);
    return { x, y, done: () => dispose(net) };
  };
  const channels = concat(1, [null, 2, 3, 4]);
  close(t, channels.y, channels.x.map((r) => r.map((p) => [...p.map((v) => v + 1), ...p.map((v) => 2 * v)])), 'axis 1 is the channel axis');
  channels.done();
  const rows = concat(2, [null, 4, 3, 2]);
  close(t, rows.y, [...mapImg(rows.x, (v) => v + 1), ...mapImg(rows.x, (v) => 2 * v)], 'axis 2 is the height');
  rows.done();
  const cols = concat(-1, [null, 2, 6, 2]);
  close(t, cols.y, cols.x.map((r) => [...r.map((p) => p.map((v) => v + 1)), ...r.map((p) => p.map((v) => 2 * v))]), 'axis -1 is the width');
  cols.done();
  const dim = probe(`${branches}\nlayer { name: "cat" type: "Concat" bottom: "a" bottom: "b" top: "cat" concat_param { concat_dim: 1 } }`, 'cat', shape);
  t.same(dim.deploy.outputs[0]!.shape, [null, 2, 3, 4], 'legacy concat_dim');
  dispose(dim);

  const ops: [string, (v: number) => number, string][] = [
    ['operation: SUM coeff: 2 coeff: -1', () => 2, 'CaffeEltwise'],
    ['operation: SUM', (v) => 3 * v + 1, 'Add'],
    ['operation: PROD', (v) => (v + 1) * 2 * v, 'Multiply'],
    ['operation: MAX', (v) => Math.max(v + 1, 2 * v), 'Maximum'],
  ];
  for (const [param, f, className] of ops) {
    const net = probe(`${branches}\nlayer { name: "e" type: "Eltwise" bottom: "a" bottom: "b" top: "e" eltwise_param { ${param} } }`, 'e', shape);
    const { x, y } = forward(net, shape);
    close(t, y, mapImg(x, f), param);
    t.equal(net.model.getLayer('e').getClassName(), className);
    dispose(net);
  }
});

test('BatchNorm with Scale fuses into one layer with Caffe\'s statistics', async (t) => {
  const shape: Shape3 = [2, 2, 3];
  const body = 'layer { name: "bn" type: "BatchNorm" bottom: "data" top: "data" batch_norm_param { eps: 0.001 moving_average_fraction: 0.9 } }\n'
    + 'layer { name: "sc" type: "Scale" bottom: "data" top: "data" scale_param { bias_term: true } }';
  const net = probe(body, 'data', shape);
  const bn = net.model.getLayer('bn');
  t.equal(bn.getClassName(), 'CaffeBatchNorm');
  t.same(bn.weights.map((w) => w.originalName), ['bn/gamma', 'bn/beta', 'bn/mean', 'bn/variance', 'bn/scale_factor'], 'trainable weights first');
  t.same(bn.trainableWeights.map((w) => w.originalName), ['bn/gamma', 'bn/beta']);
  t.notOk(net.model.layers.some((l) => l.name === 'sc'), 'no separate Scale layer');
  const [mean, variance, factor, gamma, beta] = [[2, 4, 6], [8, 2, 4], [2], [1, 2, 3], [0.5, 0, -1]];
  const setWeights = (values: number[][]) => {
    const tensors = values.map((v) => tf.tensor1d(v));
    bn.setWeights(tensors);
    tf.dispose(tensors);
  };
  setWeights([gamma, beta, mean, variance, factor]);
  const { x, y } = forward(net, shape);
  close(t, y, x.map((r) => r.map((p) => p.map((v, c) => ((v - mean[c]! / 2) / Math.sqrt(variance[c]! / 2 + 0.001)) * gamma[c]! + beta[c]!))), 'global statistics = accumulators / factor');

  setWeights([[1, 1, 1], [0, 0, 0], [0, 0, 0], [0, 0, 0], [0]]);
  const batch = tf.randomUniform([4, ...shape], 0, 5, 'float32', 11);
  const m = 4 * 2 * 2;
  const { mean: bm, variance: bv } = tf.moments(batch, [0, 1, 2]);
  const trained = net.model.apply(batch, { training: true }) as tf.Tensor;
  close(t, tf.tidy(() => tf.moments(trained, [0, 1, 2]).mean.arraySync()), [0, 0, 0], 'training normalises with batch statistics');
  const [, , accMean, accVar, accFactor] = bn.getWeights().map((w) => w.arraySync());
  close(t, accMean, bm.arraySync(), 'mean accumulator ← 0.9·0 + batch mean');
  close(t, accVar, flat(bv.arraySync()).map((v) => (v * m) / (m - 1)), 'variance accumulator gets the m/(m−1) correction');
  close(t, accFactor, [1], 'factor ← 0.9·0 + 1');
  tf.dispose([batch, bm, bv, trained]);
  dispose(net);

  const separate = probe('layer { name: "bn" type: "BatchNorm" bottom: "data" top: "bn" batch_norm_param { use_global_stats: true } }\n'
    + 'layer { name: "relu" type: "ReLU" bottom: "bn" top: "relu" }\n'
    + 'layer { name: "sc" type: "Scale" bottom: "relu" top: "sc" scale_param { filler { type: "constant" value: 2 } } }', 'sc', shape);
  t.same(separate.model.getLayer('bn').weights.length, 3, 'BatchNorm alone has no gamma/beta');
  t.equal(separate.model.getLayer('sc').getClassName(), 'CaffeScale');
  const frozen = tf.tidy(() => {
    const input = tf.ones([2, ...shape]);
    return (separate.model.apply(input, { training: true }) as tf.Tensor).arraySync();
  });
  close(t, frozen, flat(frozen).map(() => 2 / Math.sqrt(1e-5)), 'use_global_stats uses the stored (zero) statistics even when training', 1e-2);
  close(t, separate.model.getLayer('bn').getWeights()[2]!.arraySync(), [0], 'and does not accumulate');
  const { x: sx, y: sy } = forward(separate, shape);
  close(t, sy, mapImg(sx, (v) => 2 * Math.max(v, 0) / Math.sqrt(1e-5)), 'Scale multiplies per channel', 1e-2);
  dispose(separate);
});
