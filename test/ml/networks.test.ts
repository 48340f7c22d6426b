// DIGITS' standard networks (spec §13) on TF.js: Caffe's parameter counts and feature-map sizes,
// the custom layers (LRN, grouped convolution, ceil-mode pooling), serialisation, fine-tuning.
import t from 'tap';
import { initBackend, tf, tfl } from '../../packages/ml/src/tf.ts';
import {
  buildStandardNetwork, CaffePooling2D, caffeLayerName, caffePooling, copyMatchingWeights, disposeNetwork,
  GroupConv2D, LRN, minimumInputSize, STANDARD_NETWORKS, tfLayerName, type BuiltNetwork, type StandardNetwork,
} from '../../packages/ml/src/networks/index.ts';

// wasm (with the project's training kernels) is far faster than the pure-JS cpu backend here.
await initBackend('wasm');
const baseline = tf.memory().numTensors;

// ---- Caffe arithmetic, written out independently of the implementation ----
const convP = (k: number, cin: number, cout: number, group = 1): number => k * k * (cin / group) * cout + cout;
const fcP = (inputs: number, outputs: number): number => inputs * outputs + outputs;
const convOut = (n: number, k: number, s = 1, p = 0): number => Math.floor((n + 2 * p - k) / s) + 1;
const poolOut = (n: number, k: number, s: number, p = 0): number => {
  let out = Math.ceil((n + 2 * p - k) / s) + 1;
  if (p > 0 && (out - 1) * s >= n + p) out--;
  return out;
};

function lenetParams(h: number, w: number, c: number, classes: number): number {
  const side = (n: number): number => poolOut(convOut(poolOut(convOut(n, 5), 2, 2), 5), 2, 2);
  return convP(5, c, 20) + convP(5, 20, 50) + fcP(side(h) * side(w) * 50, 500) + fcP(500, classes);
}

function alexnetParams(n: number, classes: number): number {
  const side = poolOut(poolOut(poolOut(convOut(n, 11, 4), 3, 2), 3, 2), 3, 2);
  return convP(11, 3, 96) + convP(5, 96, 256, 2) + convP(3, 256, 384) + convP(3, 384, 384, 2) + convP(3, 384, 256, 2)
    + fcP(side * side * 256, 4096) + fcP(4096, 4096) + fcP(4096, classes);
}

// §13.3 table: 1×1, 3×3 reduce, 3×3, 5×5 reduce, 5×5, pool proj
const TABLE: [string, number[]][] = [
  ['3a', [64, 96, 128, 16, 32, 32]], ['3b', [128, 128, 192, 32, 96, 64]], ['4a', [192, 96, 208, 16, 48, 64]],
  ['4b', [160, 112, 224, 24, 64, 64]], ['4c', [128, 128, 256, 24, 64, 64]], ['4d', [112, 144, 288, 32, 64, 64]],
  ['4e', [256, 160, 320, 32, 128, 128]], ['5a', [256, 160, 320, 32, 128, 128]], ['5b', [384, 192, 384, 48, 128, 128]],
];

function googlenetParams(classes: number): { main: number; total: number } {
  let params = convP(7, 3, 64) + convP(1, 64, 64) + convP(3, 64, 192);
  let cin = 192;
  const auxIn: number[] = [];
  for (const [name, [c1, r3, c3, r5, c5, pp]] of TABLE) {
    params += convP(1, cin, c1!) + convP(1, cin, r3!) + convP(3, r3!, c3!) + convP(1, cin, r5!) + convP(5, r5!, c5!) + convP(1, cin, pp!);
    cin = c1! + c3! + c5! + pp!;
    if (name === '4a' || name === '4d') auxIn.push(cin);
  }
  const main = params + fcP(cin, classes); // 7×7 average pool leaves 1×1×1024 at 224
  const aux = auxIn.reduce((sum, c) => sum + convP(1, c, 128) + fcP(4 * 4 * 128, 1024) + fcP(1024, classes), 0);
  return { main, total: main + aux };
}

/** Caffe's PoolingLayer forward (NHWC), the reference for the pooling tests. */
function caffePoolRef(x: tf.Tensor4D, pool: 'max' | 'ave', k: number, s: number, p: number): number[] {
  const [b, h, w, c] = x.shape;
  const v = x.arraySync();
  const [oh, ow] = [poolOut(h, k, s, p), poolOut(w, k, s, p)];
  const out: number[] = [];
  for (let n = 0; n < b; n++) for (let i = 0; i < oh; i++) for (let j = 0; j < ow; j++) for (let ch = 0; ch < c; ch++) {
    let [hs, ws] = [i * s - p, j * s - p];
    let [he, we] = [Math.min(hs + k, h + p), Math.min(ws + k, w + p)];
    const size = (he - hs) * (we - ws);
    [hs, ws, he, we] = [Math.max(hs, 0), Math.max(ws, 0), Math.min(he, h), Math.min(we, w)];
    let acc = pool === 'max' ? -Infinity : 0;
    for (let y = hs; y < he; y++) for (let z = ws; z < we; z++) {
      const val = v[n]![y]![z]![ch]!;
      acc = pool === 'max' ? Math.max(acc, val) : acc + val;
    }
    out.push(pool === 'max' ? acc : acc / size);
  }
  return out;
}

const shapeOf = (net: BuiltNetwork, layer: string): tfl.Shape => net.model.getLayer(layer).outputShape as tfl.Shape;
const equal = (a: ArrayLike<number>, b: ArrayLike<number>): boolean => close(a, b, 0);
const close = (a: ArrayLike<number>, b: ArrayLike<number>, tol = 1e-4): boolean =>
  a.length === b.length && Array.from(a).every((x, i) => Math.abs(x - b[i]!) <= tol * Math.max(1, Math.abs(b[i]!)));

t.test('parameter counts match Caffe at the reference sizes', async (t) => {
  const lenet = buildStandardNetwork('lenet', { inputShape: [28, 28, 1], classes: 10 });
  t.equal(lenet.model.countParams(), 431_080);
  t.equal(lenet.model.countParams(), lenetParams(28, 28, 1, 10));
  disposeNetwork(lenet);

  const alex = buildStandardNetwork('alexnet', { inputShape: [227, 227, 3], classes: 1000 });
  t.equal(alex.model.countParams(), 60_965_224);
  t.equal(alex.model.countParams(), alexnetParams(227, 1000));
  t.same(shapeOf(alex, 'conv1'), [null, 55, 55, 96]);
  t.same(shapeOf(alex, 'pool1'), [null, 27, 27, 96], 'ceil-mode 3 s2 pooling: 55 → 27');
  t.same(shapeOf(alex, 'pool2'), [null, 13, 13, 256]);
  t.same(shapeOf(alex, 'pool5'), [null, 6, 6, 256]);
  t.same(alex.model.outputs.map((o) => o.shape), [[null, 1000]]);
  disposeNetwork(alex);

  const goog = buildStandardNetwork('googlenet', { inputShape: [224, 224, 3], classes: 1000 });
  const expected = googlenetParams(1000);
  t.equal(expected.main, 6_998_552, 'the published bvlc_googlenet count');
  t.equal(goog.deploy.countParams(), expected.main, 'main head only');
  t.equal(goog.model.countParams(), expected.total, 'with the auxiliary heads');
  t.same(shapeOf(goog, 'conv1_7x7_s2'), [null, 112, 112, 64]);
  t.same(shapeOf(goog, 'pool1_3x3_s2'), [null, 56, 56, 64], '112 → 56');
  t.same(shapeOf(goog, 'pool2_3x3_s2'), [null, 28, 28, 192]);
  t.same(shapeOf(goog, 'pool3_3x3_s2'), [null, 14, 14, 480]);
  t.same(shapeOf(goog, 'inception_5b_output'), [null, 7, 7, 1024], '7×7 before the final average pool');
  t.same(shapeOf(goog, 'pool5_7x7_s1'), [null, 1, 1, 1024]);
  t.same(shapeOf(goog, 'loss1_ave_pool'), [null, 4, 4, 512]);
  t.same(shapeOf(goog, 'loss2_ave_pool'), [null, 4, 4, 528]);
  disposeNetwork(goog);
  t.equal(tf.memory().numTensors, baseline);
});

t.test('layer names follow Caffe and map back', async (t) => {
  const goog = buildStandardNetwork('googlenet', { inputShape: [224, 224, 3], classes: 10 });
  const names = goog.model.layers.map((l) => l.name);
  for (const caffe of ['conv1/7x7_s2', 'pool1/norm1', 'conv2/3x3_reduce', 'inception_3a/1x1', 'inception_4d/pool_proj',
    'inception_5b/output', 'loss1/ave_pool', 'loss1/classifier', 'loss2/fc', 'pool5/drop_7x7_s1', 'loss3/classifier']) {
    t.ok(names.includes(tfLayerName(caffe)), caffe);
    t.equal(caffeLayerName(tfLayerName(caffe)), caffe);
  }
  t.ok(names.every((n) => !n.includes('/')));
  t.same(goog.model.outputNames, ['loss3_classifier', 'loss1_classifier', 'loss2_classifier']);
  t.same(goog.heads, [
    { loss: 'loss', weight: 1, accuracy: 'accuracy', accuracyTop5: 'accuracy-top5' },
    { loss: 'loss1/loss', weight: 0.3, accuracy: 'loss1/accuracy', accuracyTop5: 'loss1/accuracy-top5' },
    { loss: 'loss2/loss', weight: 0.3, accuracy: 'loss2/accuracy', accuracyTop5: 'loss2/accuracy-top5' },
  ]);
  t.same(goog.defaults, { batchSize: 32, valBatchSize: 16, cropSize: 224, mirror: true });
  t.ok(goog.decayed.includes('loss1_conv') && goog.decayed.includes('loss2_classifier'));
  t.ok(goog.decayed.every((n) => goog.model.getLayer(n).weights.some((w) => w.originalName.endsWith('/kernel'))));
  disposeNetwork(goog);
  t.equal(caffeLayerName('fc6'), 'fc6');

  const few = buildStandardNetwork('googlenet', { inputShape: [224, 224, 3], classes: 4 });
  t.notOk(few.heads.some((h) => h.accuracyTop5), 'DIGITS drops top-5 accuracy below 5 classes');
  disposeNetwork(few);

  const alex = buildStandardNetwork('alexnet', { inputShape: [67, 67, 3], classes: 3 });
  t.same(alex.decayed, ['conv1', 'conv2', 'conv3', 'conv4', 'conv5', 'fc6', 'fc7', 'fc8']);
  t.same(alex.heads, [{ loss: 'loss', weight: 1, accuracy: 'accuracy' }]);
  t.same(alex.defaults, { batchSize: 128, valBatchSize: 32, cropSize: 227, mirror: true });
  t.equal(alex.model.getLayer('conv2').getClassName(), 'GroupConv2D');
  t.equal(alex.model.getLayer('norm1').getClassName(), 'LRN');
  disposeNetwork(alex);

  const lenet = buildStandardNetwork('lenet', { inputShape: [28, 28, 1], classes: 10 });
  t.same(lenet.model.layers.map((l) => l.name), ['data', 'scale', 'conv1', 'pool1', 'conv2', 'pool2', 'ip1_flatten', 'ip1', 'ip2']);
  t.same(lenet.decayed, ['conv1', 'conv2', 'ip1', 'ip2']);
  t.same(lenet.defaults, { batchSize: 64, valBatchSize: 32, mirror: false });
  t.equal(lenet.model.getLayer('scale').getClassName(), 'Rescaling');
  disposeNetwork(lenet);
  t.equal(tf.memory().numTensors, baseline);
});

t.test('inputs too small for a network are rejected before anything is allocated', async (t) => {
  t.same(STANDARD_NETWORKS, ['lenet', 'alexnet', 'googlenet']);
  t.same(STANDARD_NETWORKS.map((n) => minimumInputSize(n)), [13, 39, 223]);
  t.throws(() => buildStandardNetwork('alexnet', { inputShape: [28, 28, 3], classes: 10 }),
    { message: 'Expected input of at least 39×39 for alexnet but received 28×28' });
  t.throws(() => buildStandardNetwork('googlenet', { inputShape: [64, 300, 3], classes: 10 }),
    { message: 'Expected input of at least 223×223 for googlenet but received 64×300' });
  t.throws(() => buildStandardNetwork('lenet', { inputShape: [12, 28, 1], classes: 10 }), /at least 13×13 for lenet/);
  t.throws(() => buildStandardNetwork('lenet', { inputShape: [28, 28, 1], classes: 0 }), /positive integer number of classes/);
  t.throws(() => buildStandardNetwork('lenet', { inputShape: [28, 28] as never, classes: 2 }), /inputShape/);
  t.throws(() => buildStandardNetwork('vgg' as StandardNetwork, { inputShape: [28, 28, 1], classes: 2 }), /standard network/);
  t.equal(tf.memory().numTensors, baseline);
});

t.test('forward passes: logits per head, deploy = softmax of the main head', async (t) => {
  const cases: [StandardNetwork, [number, number, number], number][] = [
    ['lenet', [28, 28, 1], 10], ['lenet', [13, 13, 1], 2], ['lenet', [32, 45, 3], 7],
    ['alexnet', [39, 39, 3], 2], ['alexnet', [67, 67, 3], 5], ['alexnet', [67, 71, 1], 4],
    ['googlenet', [224, 224, 3], 3],
  ];
  for (const [name, inputShape, classes] of cases) {
    const net = buildStandardNetwork(name, { inputShape, classes, seed: 3 });
    const x = tf.randomUniform([2, ...inputShape], -100, 150, 'float32', 9);
    const outs = [net.model.predict(x)].flat() as tf.Tensor[];
    t.equal(outs.length, net.heads.length, `${name} ${inputShape}: one output per head`);
    t.ok(outs.every((o) => o.shape.join() === `2,${classes}`));
    const probs = net.deploy.predict(x) as tf.Tensor;
    const [sums, softmax] = [tf.sum(probs, 1), tf.softmax(outs[0]!)];
    t.ok(close(await sums.data(), [1, 1], 1e-5), 'probabilities sum to 1');
    t.ok(close(await probs.data(), await softmax.data(), 1e-5), 'deploy = softmax(main logits)');
    tf.dispose([x, probs, sums, softmax, ...outs]);
    disposeNetwork(net);
  }
  t.equal(tf.memory().numTensors, baseline);
});

t.test('pooling reproduces Caffe (ceil mode, clipping, average divisors), stock layers where exact', async (t) => {
  const cases: ['max' | 'ave', number, number, number, number, number][] = [
    // pool, kernel, stride, pad, height, width
    ['max', 3, 2, 0, 55, 55], ['max', 3, 2, 0, 56, 56], ['max', 3, 2, 0, 7, 8], ['max', 2, 2, 0, 5, 5],
    ['max', 3, 2, 0, 2, 3], ['max', 3, 1, 1, 6, 5], ['max', 3, 2, 1, 6, 7], ['ave', 5, 3, 0, 14, 14],
    ['ave', 5, 3, 0, 15, 16], ['ave', 7, 1, 0, 9, 7], ['ave', 3, 2, 1, 6, 7], ['ave', 3, 1, 1, 4, 4],
  ];
  for (const [pool, k, s, p, h, w] of cases) {
    const x = tf.randomNormal([2, h, w, 3], 0, 1, 'float32', h * 31 + w) as tf.Tensor4D;
    const want = caffePoolRef(x, pool, k, s, p);
    const params = { pool, kernelSize: k, stride: s, pad: p };
    const layers = [caffePooling(`p${k}`, params, h, w), new CaffePooling2D({ name: 'custom', ...params })];
    for (const layer of layers) {
      const y = layer.apply(x) as tf.Tensor;
      t.same(y.shape, [2, poolOut(h, k, s, p), poolOut(w, k, s, p), 3], `${pool} ${k}/${s}/${p} on ${h}×${w} (${layer.getClassName()})`);
      t.ok(close(await y.data(), want, 1e-5), 'values');
      t.same(layer.computeOutputShape([null, h, w, 3]), y.shape.map((d, i) => (i === 0 ? null : d)));
      tf.dispose(y);
    }
    tf.dispose(x);
  }
  const stock = (p: Parameters<typeof caffePooling>[1], h: number, w: number): string => caffePooling('q', p, h, w).getClassName();
  t.equal(stock({ pool: 'max', kernelSize: 3, stride: 2 }, 55, 55), 'MaxPooling2D');
  t.equal(stock({ pool: 'max', kernelSize: 3, stride: 2 }, 15, 16), 'CaffePooling2D', 'valid on one axis, same on the other');
  t.equal(stock({ pool: 'ave', kernelSize: 3, stride: 1, pad: 1 }, 8, 8), 'CaffePooling2D', 'Caffe counts the pad in the divisor');

  // Gradients flow through the padded, rescaled path.
  const custom = new CaffePooling2D({ pool: 'ave', kernelSize: 3, stride: 2, pad: 1 });
  const ones = tf.ones([1, 6, 7, 1]);
  const g = tf.grad((x: tf.Tensor) => tf.sum(custom.apply(x) as tf.Tensor))(ones);
  t.ok((await g.data()).every((v) => Number.isFinite(v) && v > 0));
  tf.dispose([ones, g]);
  t.equal(tf.memory().numTensors, baseline);
});

t.test('LRN has Caffe semantics (alpha divided by the window size)', async (t) => {
  const x = tf.randomUniform([1, 2, 2, 7], 0, 50, 'float32', 5) as tf.Tensor4D;
  const v = x.arraySync()[0]!;
  const want: number[] = [];
  for (const row of v) for (const px of row) for (let c = 0; c < 7; c++) {
    let sq = 0;
    for (let d = Math.max(0, c - 2); d <= Math.min(6, c + 2); d++) sq += px[d]! ** 2;
    want.push(px[c]! / (1 + (1e-4 / 5) * sq) ** 0.75);
  }
  const layer = new LRN({ name: 'norm' });
  const y = layer.apply(x) as tf.Tensor;
  t.ok(close(await y.data(), want, 1e-5));
  t.match(layer.getConfig(), { name: 'norm', size: 5, alpha: 1e-4, beta: 0.75, k: 1 });
  t.throws(() => new LRN({ size: 4 }), /odd positive LRN size/);
  tf.dispose([x, y]);
});

t.test('GroupConv2D convolves each channel group with its own filters', async (t) => {
  const layer = new GroupConv2D({ filters: 6, kernelSize: 3, padding: 'same', groups: 2, activation: 'linear', biasInitializer: tfl.initializers.constant({ value: 0.5 }) });
  const x = tf.randomNormal([1, 5, 5, 4], 0, 1, 'float32', 2) as tf.Tensor4D;
  const y = layer.apply(x) as tf.Tensor4D;
  t.equal(layer.countParams(), convP(3, 4, 6, 2), 'Caffe parameter count');
  const kernel = layer.getWeights()[0] as tf.Tensor4D;
  t.same(kernel.shape, [3, 3, 2, 6]);
  const [k0, k1] = tf.split(kernel, 2, 3) as tf.Tensor4D[];
  const [x0, x1] = tf.split(x, 2, 3) as tf.Tensor4D[];
  const want = tf.tidy(() => tf.add(tf.concat([tf.conv2d(x0!, k0!, 1, 'same'), tf.conv2d(x1!, k1!, 1, 'same')], 3), 0.5));
  t.ok(close(await y.data(), await want.data(), 1e-5));
  t.throws(() => new GroupConv2D({ filters: 5, kernelSize: 3, groups: 2 }), /groups dividing/);
  tf.dispose([x, y, k0!, k1!, x0!, x1!, want]); // getWeights() hands out the variables themselves
  layer.dispose();
  t.equal(tf.memory().numTensors, baseline);
});

t.test('fillers: seeded builds are reproducible, Caffe scales and biases', async (t) => {
  const a = buildStandardNetwork('alexnet', { inputShape: [39, 39, 3], classes: 2, seed: 42 });
  const b = buildStandardNetwork('alexnet', { inputShape: [39, 39, 3], classes: 2, seed: 42 });
  const c = buildStandardNetwork('alexnet', { inputShape: [39, 39, 3], classes: 2, seed: 43 });
  const first = async (net: BuiltNetwork, layer: string, i = 0): Promise<Float32Array> =>
    (await net.model.getLayer(layer).getWeights()[i]!.data()) as Float32Array;
  t.ok(equal(await first(a, 'conv4'), await first(b, 'conv4')), 'same seed, same weights');
  t.notOk(equal(await first(a, 'conv4'), await first(c, 'conv4')), 'other seed, other weights');
  t.notOk(equal((await first(a, 'fc7')).slice(0, 1000), (await first(a, 'fc6')).slice(0, 1000)), 'layers get distinct seeds');
  const std = (v: Float32Array): number => Math.sqrt(v.reduce((s, x) => s + x * x, 0) / v.length);
  t.ok(Math.abs(std(await first(a, 'fc6')) - 0.005) < 0.0002, 'fc6 σ 0.005');
  t.ok(Math.abs(std(await first(a, 'conv1')) - 0.01) < 0.0005, 'conv1 σ 0.01');
  t.same([...new Set(await first(a, 'conv2', 1))], [Math.fround(0.1)]);
  t.same([...new Set(await first(a, 'fc8', 1))], [0]);
  [a, b, c].forEach(disposeNetwork);

  const lenet = buildStandardNetwork('lenet', { inputShape: [28, 28, 1], classes: 10, seed: 1 });
  const w = await first(lenet, 'conv2');
  const limit = Math.sqrt(3 / (5 * 5 * 20)); // Xavier: fan_in = k·k·Cin
  t.ok(w.every((x) => Math.abs(x) <= limit) && Math.max(...w.map(Math.abs)) > 0.95 * limit);
  disposeNetwork(lenet);
  t.equal(tf.memory().numTensors, baseline);
});

t.test('toJSON → modelFromJSON round trip gives the same outputs', async (t) => {
  const cases: [StandardNetwork, [number, number, number], number][] = [
    ['lenet', [28, 28, 1], 10], ['alexnet', [67, 71, 3], 4], ['googlenet', [224, 224, 3], 3],
  ];
  for (const [name, inputShape, classes] of cases) {
    const net = buildStandardNetwork(name, { inputShape, classes, seed: 7 });
    if (name === 'alexnet') t.equal(net.model.getLayer('pool1').getClassName(), 'CaffePooling2D', '67×71 needs the custom pooling');
    for (const graph of [net.model, net.deploy]) {
      const copy = await tfl.models.modelFromJSON({ modelTopology: graph.toJSON(null, false) as never });
      t.same(copy.layers.map((l) => `${l.name}:${l.getClassName()}`), graph.layers.map((l) => `${l.name}:${l.getClassName()}`));
      copy.setWeights(graph.getWeights());
      const x = tf.randomUniform([1, ...inputShape], 0, 255, 'float32', 1);
      const [want, got] = [[graph.predict(x)].flat() as tf.Tensor[], [copy.predict(x)].flat() as tf.Tensor[]];
      for (let i = 0; i < want.length; i++) t.ok(close(await got[i]!.data(), await want[i]!.data(), 1e-5), `${name} ${graph.name} output ${i}`);
      tf.dispose([x, ...want, ...got]);
      copy.dispose();
    }
    disposeNetwork(net);
  }
  t.equal(tf.memory().numTensors, baseline);
});

t.test('copyMatchingWeights: everything when classes match, all but the classifier otherwise', async (t) => {
  const from = buildStandardNetwork('alexnet', { inputShape: [39, 39, 3], classes: 5, seed: 1 });
  const same = buildStandardNetwork('alexnet', { inputShape: [39, 39, 3], classes: 5, seed: 2 });
  const other = buildStandardNetwork('alexnet', { inputShape: [39, 39, 3], classes: 3, seed: 2 });
  const all = ['conv1', 'conv2', 'conv3', 'conv4', 'conv5', 'fc6', 'fc7', 'fc8'];
  t.same(copyMatchingWeights(from.model, same.model), { copied: all, skipped: [] });
  t.same(copyMatchingWeights(from.model, other.model), { copied: all.slice(0, -1), skipped: ['fc8'] });
  for (const layer of ['conv2', 'fc7']) {
    t.ok(equal(await other.model.getLayer(layer).getWeights()[0]!.data(), await from.model.getLayer(layer).getWeights()[0]!.data()), layer);
  }
  t.equal(other.model.getLayer('fc8').getWeights()[0]!.shape[1], 3, 'fc8 keeps its fresh 3-class weights');
  const small = buildStandardNetwork('lenet', { inputShape: [28, 28, 1], classes: 10 });
  const large = buildStandardNetwork('lenet', { inputShape: [32, 32, 1], classes: 10 });
  t.same(copyMatchingWeights(small.model, large.model), { copied: ['conv1', 'conv2', 'ip2'], skipped: ['ip1'] }, 'ip1 sees a larger feature map');
  t.same(copyMatchingWeights(small.model, from.model).copied, [], 'nothing shared across networks');
  [from, same, other, small, large].forEach(disposeNetwork);
  t.equal(tf.memory().numTensors, baseline);
});

t.test('a training step runs through every custom layer and changes the weights', async (t) => {
  for (const [name, inputShape] of [['lenet', [28, 28, 1]], ['alexnet', [39, 43, 3]]] as const) {
    const net = buildStandardNetwork(name, { inputShape: [...inputShape], classes: 3, seed: 5 });
    if (name === 'alexnet') t.equal(net.model.getLayer('pool1').getClassName(), 'CaffePooling2D', '8×9 feature map');
    const x = tf.randomUniform([4, ...inputShape], 0, 255, 'float32', 4);
    const labels = tf.tidy(() => tf.oneHot(tf.tensor1d([0, 1, 2, 1], 'int32'), 3));
    const before = net.model.getWeights().map((w) => w.dataSync().slice());
    const optimizer = tf.train.sgd(0.01);
    const cost = optimizer.minimize(() => {
      const logits = [net.model.apply(x, { training: true })].flat() as tf.Tensor[];
      return tf.losses.softmaxCrossEntropy(labels, logits[0]!) as tf.Scalar;
    }, true);
    t.ok(Number.isFinite((await cost!.data())[0]), `${name} loss is finite`);
    const after = net.model.getWeights().map((w) => w.dataSync());
    const changed = net.model.layers.filter((l) => l.weights.length > 0).map((l) => l.name)
      .filter((_, i) => !close(after[2 * i]!, before[2 * i]!, 0));
    t.same(changed, net.decayed, `${name}: every kernel moved`);
    tf.dispose([x, labels, cost!]);
    optimizer.dispose();
    disposeNetwork(net);
  }
  t.equal(tf.memory().numTensors, baseline);
});
