// Caffe prototxt → TF.js networks (wasm backend): DIGITS' standard networks against the
// hand-built ones, every layer mapping against hand computations, stage rules, errors, training,
// and the JSON round trip the training threads and snapshots rely on.
import t, { type Test } from 'tap';
import { initBackend, tf, tfl } from '../../packages/ml/src/tf.ts';
import { buildStandardNetwork, type BuiltNetwork, type HeadInfo } from '../../packages/ml/src/networks/index.ts';
import { standardNetworkText } from '../../apps/gateway/src/standard-networks.ts';
import { buildCaffeNetwork } from '../../packages/ml/src/networks/caffe/index.ts';

// wasm (with the project's training kernels): the cpu backend's convolution gradients take seconds per LeNet step.
await initBackend('wasm');
const baseline = tf.memory().numTensors;

/** A subtest that must leave no tensors behind. */
function test(name: string, body: (t: Test) => Promise<void>): void {
  t.test(name, async (t) => {
    await body(t);
    t.equal(tf.memory().numTensors, baseline, 'no tensors leak');
  });
}

type Img = number[][][];
type Shape3 = [number, number, number];
type Pair = [number, number];

/** A net fed by a Data layer ("data", "label") whose EuclideanLoss reads `out`, so deploy outputs `out` as is. */
function probe(body: string, out: string, inputShape: Shape3, seed = 7): BuiltNetwork {
  const text = `layer { name: "data" type: "Data" top: "data" top: "label" }\n${body}\n`
    + `layer { name: "loss" type: "EuclideanLoss" bottom: "${out}" bottom: "label" top: "loss" }`;
  return buildCaffeNetwork(text, { inputShape, classes: null, seed });
}

/** Deploy output for one random (seeded) image, and that image. */
function forward(net: BuiltNetwork, shape: Shape3, seed = 3): { x: Img; y: Img } {
  return tf.tidy(() => {
    const x = tf.randomUniform([1, ...shape], -1, 1, 'float32', seed);
    const y = net.deploy.predict(x) as tf.Tensor;
    return { x: (x.arraySync() as Img[])[0]!, y: (y.arraySync() as Img[])[0]! };
  });
}

function flat(v: unknown): number[] {
  return Array.isArray(v) ? v.flatMap(flat) : [v as number];
}

function close(t: Test, actual: unknown, expected: unknown, message: string, tol = 1e-4): void {
  const [a, e] = [flat(actual), flat(expected)];
  const worst = a.length === e.length ? Math.max(0, ...a.map((v, i) => Math.abs(v - e[i]!))) : Infinity;
  t.ok(worst <= tol, `${message} (max error ${worst})`);
}

function weightsOf(net: BuiltNetwork, layer: string): unknown[] {
  return net.model.getLayer(layer).getWeights().map((w) => w.arraySync());
}

/** Caffe convolution on an HWC image with an HWIO kernel (I = input channels per group). */
function convRef(x: Img, k: number[][][][], bias: number[] | null, [sh, sw]: Pair, [ph, pw]: Pair, [dh, dw]: Pair = [1, 1], group = 1): Img {
  const [H, W, C] = [x.length, x[0]!.length, x[0]![0]!.length];
  const [kh, kw, cinG, cout] = [k.length, k[0]!.length, k[0]![0]!.length, k[0]![0]![0]!.length];
  const oh = Math.floor((H + 2 * ph - (dh * (kh - 1) + 1)) / sh) + 1;
  const ow = Math.floor((W + 2 * pw - (dw * (kw - 1) + 1)) / sw) + 1;
  t.equal(cinG * group, C);
  return Array.from({ length: oh }, (_, oy) => Array.from({ length: ow }, (_, ox) => Array.from({ length: cout }, (_, co) => {
    const g = Math.floor(co / (cout / group));
    let sum = bias?.[co] ?? 0;
    for (let ky = 0; ky < kh; ky++) for (let kx = 0; kx < kw; kx++) {
      const [iy, ix] = [oy * sh - ph + ky * dh, ox * sw - pw + kx * dw];
      if (iy < 0 || ix < 0 || iy >= H || ix >= W) continue;
      for (let ci = 0; ci < cinG; ci++) sum += x[iy]![ix]![g * cinG + ci]! * k[ky]![kx]![ci]![co]!;
    }
    return sum;
  })));
}

/** Caffe's PoolingLayer forward (ceil mode, clipped windows, padded divisor) on an HWC image. */
function poolRef(x: Img, pool: 'max' | 'ave', k: number, s: number, p: number): Img {
  const [H, W, C] = [x.length, x[0]!.length, x[0]![0]!.length];
  const out = (n: number) => {
    let o = Math.ceil((n + 2 * p - k) / s) + 1;
    if (p > 0 && (o - 1) * s >= n + p) o--;
    return o;
  };
  return Array.from({ length: out(H) }, (_, oy) => Array.from({ length: out(W) }, (_, ox) => Array.from({ length: C }, (_, c) => {
    const [hs, ws] = [oy * s - p, ox * s - p];
    const [he, we] = [Math.min(hs + k, H + p), Math.min(ws + k, W + p)];
    const size = (he - hs) * (we - ws);
    const values: number[] = [];
    for (let y = Math.max(hs, 0); y < Math.min(he, H); y++) for (let xx = Math.max(ws, 0); xx < Math.min(we, W); xx++) values.push(x[y]![xx]![c]!);
    return pool === 'max' ? Math.max(...values) : values.reduce((a, b) => a + b, 0) / size;
  })));
}

const mapImg = (x: Img, f: (v: number) => number): Img => x.map((r) => r.map((p) => p.map(f)));
const dispose = (net: BuiltNetwork) => net.model.dispose();

test('the standard networks as prototxt equal the hand-built ones', async (t) => {
  const cases = [['lenet', [28, 28, 1], 10, 431_080], ['alexnet', [227, 227, 3], 1000, 60_965_224], ['googlenet', [224, 224, 3], 1000, 13_378_280]] as const;
  const byLoss = (heads: HeadInfo[]) => heads.map(({ kind: _kind, ...h }) => h).sort((a, b) => a.loss.localeCompare(b.loss));
  for (const [name, shape, classes, params] of cases) {
    const caffe = buildCaffeNetwork((await standardNetworkText(name, 'caffe')), { inputShape: [...shape], classes, seed: 1 });
    const hand = buildStandardNetwork(name, { inputShape: [...shape], classes, seed: 1 });
    t.equal(caffe.model.countParams(), params, `${name} parameters`);
    t.equal(hand.model.countParams(), params);
    t.same(caffe.model.outputs.map((o) => o.shape), hand.model.outputs.map((o) => o.shape), `${name} output shapes`);
    t.same(byLoss(caffe.heads), byLoss(hand.heads), `${name} heads`);
    t.ok(caffe.heads.every((h) => h.kind === 'softmax'));
    t.same(caffe.defaults, hand.defaults, `${name} defaults`);
    t.same([...caffe.decayed].sort(), [...hand.decayed].sort(), `${name} decayed layers`);
    const weighted = (n: BuiltNetwork) => n.model.layers.filter((l) => l.weights.length > 0).map((l) => `${l.name} ${l.countParams()}`).sort();
    t.same(weighted(caffe), weighted(hand), `${name} weighted layers by name and size`);
    t.same(caffe.outputs, ['softmax']);
    t.same(caffe.deploy.outputs.map((o) => o.shape), [[null, classes]]);
    t.equal(caffe.deploy.countParams(), hand.deploy.countParams(), `${name} deploy parameters`);
    t.ok(caffe.deploy.layers.every((l) => l.inboundNodes.length === 1), 'deploy shares the training nodes');
    dispose(caffe);
    dispose(hand);
  }
  const goog = buildCaffeNetwork((await standardNetworkText('googlenet', 'caffe')), { inputShape: [224, 224, 3], classes: 3 });
  t.same(goog.heads.map((h) => h.loss), ['loss1/loss', 'loss2/loss', 'loss'], 'prototxt order');
  t.notOk(goog.heads.some((h) => h.accuracyTop5), 'top-5 Accuracy dropped below 5 classes, as DIGITS does');
  t.same(goog.model.outputNames, ['loss1_classifier', 'loss2_classifier', 'loss3_classifier']);
  dispose(goog);
});

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

test('stage rules pick the train and deploy graphs', async (t) => {
  const text = `
    name: "staged"
    layer { name: "train-data" type: "Data" top: "data" top: "label" include { stage: "train" } data_param { batch_size: 24 } transform_param { mirror: true crop_size: 20 } }
    layer { name: "val-data" type: "Data" top: "data" top: "label" include { stage: "val" } data_param { batch_size: 8 } }
    layer { name: "conv" type: "Convolution" bottom: "data" top: "conv" convolution_param { num_output: 4 kernel_size: 3 weight_filler { type: "msra" } } param { decay_mult: 0 } }
    layer { name: "noise" type: "Dropout" bottom: "conv" top: "conv" include { phase: TRAIN } }
    layer { name: "high" type: "ReLU" bottom: "conv" top: "conv" include { min_level: 1 } }
    layer { name: "not-val" type: "TanH" bottom: "conv" top: "conv" exclude { stage: "val" } }
    layer { name: "ip" type: "InnerProduct" bottom: "conv" top: "ip" param { lr_mult: 0 } param { lr_mult: 0 } inner_product_param { weight_filler { type: "uniform" } } }
    layer { name: "loss" type: "SoftmaxWithLoss" bottom: "ip" bottom: "label" top: "loss" exclude { stage: "deploy" } }
    layer { name: "top1" type: "Accuracy" bottom: "ip" bottom: "label" top: "acc" include { stage: "val" } }
    layer { name: "top3" type: "Accuracy" bottom: "ip" bottom: "label" top: "acc3" include { stage: "val" } accuracy_param { top_k: 3 } }
    layer { name: "top5" type: "Accuracy" bottom: "ip" bottom: "label" top: "acc5" include { stage: "val" } accuracy_param { top_k: 5 } }
  `;
  const net = buildCaffeNetwork(text, { inputShape: [6, 6, 1], classes: 2 });
  t.same(net.model.layers.map((l) => l.name), ['data', 'conv', 'noise', 'not-val', 'ip_flatten', 'ip']);
  t.same(net.deploy.layers.map((l) => l.name), ['data', 'conv', 'not-val', 'ip_flatten', 'ip', 'softmax'], 'a softmax is added for classification');
  t.same(net.outputs, ['softmax']);
  t.same(net.heads, [{ loss: 'loss', weight: 1, kind: 'softmax', accuracy: 'acc' }], 'top-3 and top-5 beyond 2 classes are dropped');
  t.same(net.defaults, { batchSize: 24, valBatchSize: 8, mirror: true, cropSize: 20 });
  t.same(net.decayed, ['ip'], 'decay_mult 0 keeps conv out of weight decay');
  t.notOk(net.model.getLayer('ip').trainable, 'lr_mult 0 freezes a layer');
  const sums = tf.tidy(() => tf.sum(net.deploy.predict(tf.ones([2, 6, 6, 1])) as tf.Tensor, 1).arraySync());
  close(t, sums, [1, 1], 'deploy rows sum to 1');
  dispose(net);
  t.throws(() => buildCaffeNetwork(text, { inputShape: [6, 6, 1], classes: 10 }), { message: /layer "top3" \(Accuracy, line \d+\) has top_k 3; DIGITS reports top-1 and top-5/ });
  const withInput = buildCaffeNetwork(`layer { name: "in" type: "Input" top: "data" input_param { shape { dim: 1 dim: 1 dim: 6 dim: 6 } } }\n${text}`, { inputShape: [6, 6, 1], classes: 2 });
  t.same(withInput.model.layers.map((l) => l.name), ['data', 'conv', 'noise', 'not-val', 'ip_flatten', 'ip'], 'an Input layer beside Data layers is ignored, as DIGITS does');
  dispose(withInput);

  const defaults = buildCaffeNetwork('layer { name: "ip" type: "InnerProduct" bottom: "data" top: "ip" }\nlayer { name: "l" type: "SoftmaxWithLoss" bottom: "ip" bottom: "label" }', { inputShape: [2, 2, 1], classes: 3 });
  t.same(defaults.defaults, { batchSize: 16, valBatchSize: 16, mirror: false }, 'no Data layer: DIGITS\' data/label blobs and batch size 16');
  t.same(defaults.heads, [{ loss: 'l', weight: 1, kind: 'softmax' }], 'a loss without top reports under its layer name');
  t.same(defaults.outputs, ['softmax']);
  dispose(defaults);
});

test('input scaling: transform_param.scale in training, a Power layer when deployed', async (t) => {
  const text = (await standardNetworkText('lenet', 'caffe'))
    .replace(/layer \{\n {2}name: "train-data"[\s\S]*?\n\}\nlayer \{\n {2}name: "val-data"[\s\S]*?\n\}\n/, `
      layer { name: "train-data" type: "Data" top: "scaled" top: "label" transform_param { scale: 0.0125 } include { stage: "train" } }
      layer { name: "val-data" type: "Data" top: "scaled" top: "label" transform_param { scale: 0.0125 } include { stage: "val" } }
    `)
    .replace('  name: "scale"', '  name: "scale"\n  include { stage: "deploy" }');
  const net = buildCaffeNetwork(text, { inputShape: [28, 28, 1], classes: 10, seed: 5 });
  t.equal(net.model.getLayer('train-data_scale').getClassName(), 'Rescaling');
  t.ok(net.deploy.layers.some((l) => l.name === 'scale') && !net.model.layers.some((l) => l.name === 'scale'));
  const [logits, probs] = tf.tidy(() => {
    const x = tf.randomUniform([2, 28, 28, 1], 0, 255, 'float32', 1);
    return [tf.softmax(net.model.predict(x) as tf.Tensor).arraySync(), (net.deploy.predict(x) as tf.Tensor).arraySync()];
  });
  close(t, probs, logits, 'deploy = softmax of the trained logits');
  dispose(net);
  t.throws(() => buildCaffeNetwork(text.replace('scale: 0.0125 } include { stage: "val"', 'scale: 0.5 } include { stage: "val"'), { inputShape: [28, 28, 1], classes: 10 }),
    { message: /train and val data layers scale the images differently/ });
});

test('a DIGITS-style LeNet learns: a few SGD steps lower the loss', async (t) => {
  const net = buildCaffeNetwork((await standardNetworkText('lenet', 'caffe')), { inputShape: [28, 28, 1], classes: 10, seed: 42 });
  const x = tf.randomUniform([16, 28, 28, 1], 0, 255, 'float32', 9);
  const y = tf.tidy(() => tf.oneHot(tf.tensor1d([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2, 3, 4, 5], 'int32'), 10));
  const optimizer = tf.train.sgd(0.01);
  const losses: number[] = [];
  for (let step = 0; step < 6; step++) {
    const loss = optimizer.minimize(() => tf.losses.softmaxCrossEntropy(y, net.model.apply(x, { training: true }) as tf.Tensor), true) as tf.Scalar;
    losses.push(loss.dataSync()[0]!);
    loss.dispose();
  }
  t.ok(losses.at(-1)! < losses[0]! * 0.8, `loss ${losses.map((l) => l.toFixed(3)).join(' → ')}`);
  optimizer.dispose();
  tf.dispose([x, y]);
  dispose(net);
});

test('regression: EuclideanLoss heads, deploy outputs by blob name', async (t) => {
  const text = `
    input: "data"
    input_shape { dim: 1 dim: 1 dim: 4 dim: 4 }
    layer { name: "conv" type: "Convolution" bottom: "data" top: "conv" convolution_param { num_output: 2 kernel_size: 3 weight_filler { type: "xavier" variance_norm: AVERAGE } } }
    layer { name: "ip" type: "InnerProduct" bottom: "conv" top: "ip" inner_product_param { num_output: 3 } }
    layer { name: "side" type: "Sigmoid" bottom: "conv" top: "side" }
    layer { name: "loss" type: "EuclideanLoss" bottom: "ip" bottom: "label" top: "loss" loss_weight: 2 }
    layer { name: "acc" type: "Accuracy" bottom: "ip" bottom: "label" top: "acc" }
  `;
  const net = buildCaffeNetwork(text, { inputShape: [4, 4, 1], classes: null });
  t.same(net.heads, [{ loss: 'loss', weight: 2, kind: 'euclidean' }], 'no accuracy for a regression head');
  t.same(net.model.outputs.map((o) => o.shape), [[null, 3]]);
  t.same(net.outputs, ['ip', 'side'], 'blobs produced and never consumed, in order');
  t.same(net.deploy.outputs.map((o) => o.shape), [[null, 3], [null, 2, 2, 2]]);
  dispose(net);
  t.throws(() => buildCaffeNetwork(text.replace(' inner_product_param { num_output: 3 }', ''), { inputShape: [4, 4, 1], classes: null }),
    { code: 'NETWORK_INVALID', message: /layer "ip" \(InnerProduct, line \d+\) needs inner_product_param.num_output/ });

  const inputLayer = text.replace(/input: "data"\n\s*input_shape \{[^}]*\}/, 'layer { name: "in" type: "Input" top: "data" input_param { shape { dim: 1 dim: 1 dim: 4 dim: 4 } } }')
    .replace('top: "loss" loss_weight: 2 }', 'top: "loss" loss_weight: 2 }\nlayer { name: "loss2" type: "EuclideanLoss" bottom: "ip" bottom: "label" top: "l2" }');
  const two = buildCaffeNetwork(inputLayer, { inputShape: [4, 4, 1], classes: null });
  t.same(two.heads.map((h) => h.loss), ['loss', 'l2'], 'an Input layer feeds the image; two losses read one blob');
  t.same(two.model.outputs.map((o) => o.shape), [[null, 3], [null, 3]]);
  dispose(two);
});

test('the training graph survives a JSON round trip', async (t) => {
  const body = `
    layer { name: "conv" type: "Convolution" bottom: "data" top: "conv" convolution_param { num_output: 4 kernel_size: 3 pad: 1 group: 2 weight_filler { type: "gaussian" std: 0.3 } } }
    layer { name: "bn" type: "BatchNorm" bottom: "conv" top: "conv" }
    layer { name: "sc" type: "Scale" bottom: "conv" top: "conv" scale_param { bias_term: true filler { type: "uniform" min: 0.5 max: 2 } } }
    layer { name: "norm" type: "LRN" bottom: "conv" top: "norm" lrn_param { local_size: 3 } }
    layer { name: "pool" type: "Pooling" bottom: "norm" top: "pool" pooling_param { pool: AVE kernel_size: 3 stride: 2 pad: 1 } }
    layer { name: "pow" type: "Power" bottom: "pool" top: "pow" power_param { power: 2 shift: 1 } }
    layer { name: "sc2" type: "Scale" bottom: "pool" top: "sc2" }
    layer { name: "sum" type: "Eltwise" bottom: "pow" bottom: "sc2" top: "sum" eltwise_param { coeff: 0.5 coeff: 2 } }
    layer { name: "ip" type: "InnerProduct" bottom: "sum" top: "ip" inner_product_param { num_output: 3 weight_filler { type: "xavier" } } }
  `;
  const net = probe(body, 'ip', [6, 6, 2]);
  const classes = net.model.layers.map((l) => l.getClassName());
  for (const name of ['GroupConv2D', 'CaffeBatchNorm', 'LRN', 'CaffePooling2D', 'CaffePower', 'CaffeScale', 'CaffeEltwise']) t.ok(classes.includes(name), name);
  const copy = await tfl.models.modelFromJSON(net.model.toJSON(null, false) as never);
  copy.setWeights(net.model.getWeights());
  const [a, b] = tf.tidy(() => {
    const x = tf.randomUniform([2, 6, 6, 2], -1, 1, 'float32', 4);
    return [(net.model.predict(x) as tf.Tensor).arraySync(), (copy.predict(x) as tf.Tensor).arraySync()];
  });
  close(t, b, a, 'same outputs after modelFromJSON', 1e-6);
  t.same(copy.layers.map((l) => l.name), net.model.layers.map((l) => l.name));
  copy.dispose();
  dispose(net);
});

test('one name used twice in a stage gives two layers; across stages, one shared layer', async (t) => {
  const net = probe('layer { name: "relu" type: "ReLU" bottom: "data" top: "a" }\nlayer { name: "relu" type: "ReLU" bottom: "a" top: "b" }\n'
    + 'layer { name: "ip" type: "InnerProduct" bottom: "b" top: "out" inner_product_param { num_output: 2 } include { stage: "train" } }\n'
    + 'layer { name: "ip" type: "InnerProduct" bottom: "b" top: "out" inner_product_param { num_output: 2 } include { stage: "deploy" } }\n'
    + 'layer { name: "ip" type: "InnerProduct" bottom: "b" top: "out" inner_product_param { num_output: 2 } include { stage: "val" } }', 'out', [2, 2, 1]);
  t.same(net.model.layers.map((l) => l.name), ['data', 'relu', 'relu_1', 'ip_flatten', 'ip']);
  t.same(net.deploy.layers.map((l) => l.name), ['data', 'relu', 'relu_1', 'ip_flatten', 'ip']);
  t.equal(net.deploy.getLayer('ip'), net.model.getLayer('ip'), 'the deploy definition uses the trained weights');
  dispose(net);
});

test('bad networks fail with NETWORK_INVALID naming the problem, and free what they built', async (t) => {
  const shape: Shape3 = [8, 8, 1];
  const bad = (body: string, message: RegExp, inputShape = shape) => {
    t.throws(() => probe(body, 'out', inputShape), { code: 'NETWORK_INVALID', statusCode: 400, message }, message.source);
  };
  bad('layer { name: "out" type: "ReLU" bottom: "nope" top: "out" }', /^Bad network: layer "out" \(ReLU, line 2\) reads blob "nope", which no earlier layer produces in the train stage/);
  bad('layer { name: "t" type: "ReLU" bottom: "data" top: "t" include { stage: "train" } }\nlayer { name: "out" type: "ReLU" bottom: "t" top: "out" }',
    /layer "out" \(ReLU, line 3\) reads blob "t", which no earlier layer produces in the val stage/);
  bad('layer { name: "py" type: "Python" bottom: "data" top: "out" python_param { module: "evil" layer: "Run" } }',
    /^Bad network: layer "py" has type "Python", which is not supported \(supported: Data, HDF5Data, Input, Convolution, .*Accuracy\)$/);
  bad('layer { name: "out" type: "Deconvolution" bottom: "data" top: "out" }', /layer "out" has type "Deconvolution", which is not supported/);
  bad('layer { name: "out" type: "LRN" bottom: "data" top: "out" lrn_param { norm_region: WITHIN_CHANNEL } }', /uses norm_region WITHIN_CHANNEL, which is not supported/);
  bad('layer { name: "out" type: "Pooling" bottom: "data" top: "out" pooling_param { pool: STOCHASTIC kernel_size: 2 } }', /STOCHASTIC pooling, which is not supported/);
  bad('layer { name: "out" type: "Convolution" bottom: "data" top: "out" convolution_param { num_output: 2 kernel_size: 9 } }', /layer "out" \(Convolution, line 2\) gives an empty/);
  bad('layer { name: "out" type: "Convolution" bottom: "data" top: "out" convolution_param { kernel_size: 3 } }', /needs convolution_param.num_output/);
  bad('layer { name: "out" type: "Convolution" bottom: "data" top: "out" convolution_param { num_output: 2 kernel_sise: 3 } }', /convolution_param \(line 2\) has no field "kernel_sise"/);
  bad('layer { name: "out" type: "Convolution" bottom: "data" top: "out" convolution_param { num_output: 3 kernel_size: 1 group: 2 } }', /divisible by group 2/);
  bad('layer { name: "out" type: "Convolution" bottom: "data" top: "out" convolution_param { num_output: 2 kernel_size: 3 weight_filler { type: "bilinear" } } }', /filler type "bilinear", which is not supported/);
  bad('layer { name: "out" type: "Eltwise" bottom: "data" bottom: "data" top: "out" eltwise_param { operation: PROD coeff: 1 coeff: 2 } }', /only with operation SUM/);
  bad('layer { name: "a" type: "InnerProduct" bottom: "data" top: "a" inner_product_param { num_output: 3 } }\nlayer { name: "out" type: "Eltwise" bottom: "data" bottom: "a" top: "out" }',
    /layer "out" \(Eltwise, line 3\) needs bottoms of one shape but has 8×8×1, 3/);
  bad('layer { name: "out" type: "ReLU" bottom: "label" top: "out" }', /reads the label blob "label"; only SoftmaxWithLoss, EuclideanLoss, Accuracy layers may/);
  bad('layer { name: "out" type: "Dropout" bottom: "data" top: "out" dropout_param { dropout_ratio: 1 } }', /needs dropout_ratio in \[0, 1\) but has 1/);
  bad('layer { name: "out" type: "ReLU" bottom: "data" top: "out" top: "extra" }', /needs exactly one top but has 2/);
  bad('layer { name: "t" type: "ReLU" bottom: "data" top: "t" exclude { stage: "deploy" } }\nlayer { name: "out" type: "ReLU" bottom: "t" top: "out" }',
    /layer "out" \(ReLU, line 3\) reads blob "t", which no earlier layer produces in the deploy stage/);
  const twice = 'layer { name: "out" type: "ReLU" bottom: "data" top: "out" include { stage: "train" } }\n'
    + 'layer { name: "out" type: "ReLU" bottom: "data" top: "out" relu_param { negative_slope: 0.2 } exclude { stage: "train" } }';
  bad(twice, /layer "out" \(ReLU, line 3\) is defined again with different settings/);
  bad('layer { name: "w" type: "InnerProduct" bottom: "data" top: "out" inner_product_param { num_output: 2 } include { stage: "deploy" } }\n'
    + 'layer { name: "t" type: "InnerProduct" bottom: "data" top: "out" inner_product_param { num_output: 2 } exclude { stage: "deploy" } }',
  /layer "w" has weights but runs only in the deploy stage/);

  const text = (s: string) => () => buildCaffeNetwork(s, { inputShape: shape, classes: 10 });
  t.throws(text('name: "x"\nlayer {\n  name: = "conv1"\n}'), { code: 'NETWORK_INVALID', message: 'Bad network: line 3, column 9: unexpected character "="' });
  t.throws(text('layers { name: "conv1" type: CONVOLUTION bottom: "data" top: "conv1" }'), { message: /legacy V1 network format.*upgrade_net_proto_text/ });
  t.throws(text('{"class_name": "Sequential"}'), { message: /^Bad network: line 1, column 1: expected a field name but found "\{"/ });
  t.throws(text('layer { name: "ip" type: "InnerProduct" bottom: "data" top: "ip" }'), { message: /the train stage has no loss layer/ });
  t.throws(text('layer { name: "ip" type: "InnerProduct" bottom: "data" top: "ip" inner_product_param { num_output: 4 } }\nlayer { name: "l" type: "SoftmaxWithLoss" bottom: "ip" bottom: "label" }'),
    { message: /layer "l" \(SoftmaxWithLoss, line 2\) reads 4 scores per image from "ip" but the dataset has 10 classes/ });
  t.throws(text('layer { name: "l" type: "SoftmaxWithLoss" bottom: "data" bottom: "label" }'), { message: /needs a flat N×classes blob but "data" is 8×8×1/ });
  t.throws(text('layer { name: "l" type: "SoftmaxWithLoss" bottom: "data" bottom: "data" }'), { message: /needs two bottoms: the prediction and the label blob "label"/ });
  t.throws(() => buildCaffeNetwork('', { inputShape: [0, 8, 1], classes: 10 }), /Expected inputShape \[height, width, channels\] of positive integers/);
});
