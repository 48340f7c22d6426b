// loadCaffeWeights: a LeNet .caffemodel written here from known weights, loaded onto LeNet built
// from DIGITS' prototxt (and onto the hand-built standard LeNet), classifies real MNIST digits as
// a plain N×C×H×W forward pass with those weights does (PyTorch too, when this machine has it).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { createRandom } from '@digits-ts/dataset';
import { readCaffeModel } from '@digits-ts/ml';
import { tf } from '../../packages/ml/src/tf.ts';
import { buildStandardNetwork, loadCaffeWeights, type BuiltNetwork } from '../../packages/ml/src/networks/index.ts';
import { buildCaffeNetwork } from '../../packages/ml/src/networks/caffe/index.ts';
import { standardNetworkText } from '../../apps/gateway/src/standard-networks.ts';
import { writeCaffeModel, type TestBlob } from '../helpers/caffemodel-writer.ts';
import { close, dispose, flat, probe, test, weightsOf } from './caffe-helpers.ts';
import { mnistSamples } from './train-helpers.ts';

type Blob = { shape: number[]; data: Float64Array };

/** Uniform ±`bound` values, rounded to float32 so the reference uses exactly the stored weights. */
function blob(shape: number[], bound: number, seed: number): Blob {
  const random = createRandom(seed);
  const n = shape.reduce((a, d) => a * d, 1);
  return { shape, data: Float64Array.from(Float32Array.from({ length: n }, () => (random() * 2 - 1) * bound)) };
}

const LENET: [string, string, Blob, Blob][] = [
  ['conv1', 'Convolution', blob([20, 1, 5, 5], 0.4, 1), blob([20], 0.1, 2)],
  ['conv2', 'Convolution', blob([50, 20, 5, 5], 0.06, 3), blob([50], 0.1, 4)],
  ['ip1', 'InnerProduct', blob([500, 800], 0.05, 5), blob([500], 0.1, 6)],
  ['ip2', 'InnerProduct', blob([10, 500], 0.15, 7), blob([10], 0.1, 8)],
];
const W = Object.fromEntries(LENET.map(([name, , w, b]) => [name, { w, b }]));
const toTest = (b: Blob): TestBlob => ({ shape: b.shape, data: b.data });
const lenetFile = (layers = LENET) => writeCaffeModel('LeNet', [
  { name: 'data', type: 'Input' }, { name: 'scale', type: 'Power' },
  ...layers.map(([name, type, w, b]) => ({ name, type, blobs: [toTest(w), toTest(b)] })),
  { name: 'loss', type: 'SoftmaxWithLoss' },
]);

// --- the reference: Caffe's own layouts (N×C×H×W maps, [out, in, kh, kw] kernels), float64 ---
type Map3 = { c: number; h: number; w: number; v: Float64Array };

function conv(x: Map3, { w, b }: { w: Blob; b: Blob }): Map3 {
  const [out, cin, k] = w.shape as [number, number, number, number];
  const [h, wd] = [x.h - k + 1, x.w - k + 1];
  const v = new Float64Array(out * h * wd);
  for (let o = 0; o < out; o++) for (let y = 0; y < h; y++) for (let xx = 0; xx < wd; xx++) {
    let s = b.data[o]!;
    for (let c = 0; c < cin; c++) for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) {
      s += x.v[(c * x.h + y + i) * x.w + xx + j]! * w.data[((o * cin + c) * k + i) * k + j]!;
    }
    v[(o * h + y) * wd + xx] = s;
  }
  return { c: out, h, w: wd, v };
}

/** Max pooling 2×2 stride 2, Caffe's ceil-mode output size (clipped windows). */
function pool(x: Map3): Map3 {
  const [h, w] = [Math.ceil((x.h - 2) / 2) + 1, Math.ceil((x.w - 2) / 2) + 1];
  const v = new Float64Array(x.c * h * w);
  for (let c = 0; c < x.c; c++) for (let y = 0; y < h; y++) for (let xx = 0; xx < w; xx++) {
    let m = -Infinity;
    for (let i = 2 * y; i < Math.min(2 * y + 2, x.h); i++) for (let j = 2 * xx; j < Math.min(2 * xx + 2, x.w); j++) m = Math.max(m, x.v[(c * x.h + i) * x.w + j]!);
    v[(c * h + y) * w + xx] = m;
  }
  return { c: x.c, h, w, v };
}

function ip(x: Float64Array, { w, b }: { w: Blob; b: Blob }): Float64Array {
  const [out, n] = w.shape as [number, number];
  return Float64Array.from({ length: out }, (_, o) => x.reduce((s, v, i) => s + v * w.data[o * n + i]!, b.data[o]!));
}

/** LeNet's deploy output for one 28×28 gray image; `hwcFlatten` flattens pool2 the TF.js way (a wrong import). */
function lenetRef(pixels: Uint8Array, hwcFlatten = false): number[] {
  const x: Map3 = { c: 1, h: 28, w: 28, v: Float64Array.from(pixels, (p) => p * 0.0125) };
  const p2 = pool(conv(pool(conv(x, W['conv1']!)), W['conv2']!));
  const features = hwcFlatten
    ? Float64Array.from({ length: p2.v.length }, (_, i) => p2.v[(i % p2.c) * p2.h * p2.w + Math.floor(i / p2.c)]!)
    : p2.v;
  const logits = ip(ip(features, W['ip1']!).map((v) => Math.max(v, 0)), W['ip2']!);
  const top = Math.max(...logits);
  const e = logits.map((v) => Math.exp(v - top));
  const sum = e.reduce((a, v) => a + v, 0);
  return Array.from(e, (v) => v / sum);
}

const digits = await mnistSamples(0, 16);
const image = (i: number) => digits.pixels.subarray(i * 784, (i + 1) * 784);
const expected = Array.from({ length: digits.count }, (_, i) => lenetRef(image(i)));
const argmax = (p: number[]) => p.indexOf(Math.max(...p));

function classify(net: BuiltNetwork): number[][] {
  return tf.tidy(() => (net.deploy.predict(tf.tensor4d(Float32Array.from(digits.pixels), [digits.count, 28, 28, 1])) as tf.Tensor).arraySync() as number[][]);
}

const lenetPrototxt = await standardNetworkText('lenet', 'caffe');

test('a LeNet .caffemodel on LeNet from DIGITS\' prototxt classifies MNIST digits as its weights do', async (t) => {
  const net = buildCaffeNetwork(lenetPrototxt, { inputShape: [28, 28, 1], classes: 10, seed: 1 });
  const result = loadCaffeWeights(net.model, readCaffeModel(lenetFile()));
  t.same(result.loaded, ['conv1', 'conv2', 'ip1', 'ip2']);
  const probs = classify(net);
  close(t, probs, expected, 'softmax outputs equal the N×C×H×W reference', 1e-5);
  t.same(probs.map(argmax), expected.map(argmax), 'the same classes');
  const [classes, top] = [new Set(expected.map(argmax)).size, Math.max(...flat(expected))];
  t.ok(classes >= 2 && top < 0.999, `the outputs are spread, not saturated (${classes} classes, top ${top.toFixed(4)})`);
  // the test can tell a wrong import: C×H×W columns taken as H×W×C
  const wrong = Array.from({ length: digits.count }, (_, i) => lenetRef(image(i), true));
  const gap = Math.max(...flat(wrong).map((v, i) => Math.abs(v - flat(expected)[i]!)));
  t.ok(gap > 1e-2, `without the flatten reorder the outputs would be off by ${gap.toFixed(3)}`);
  // our own kernels hold Caffe's values transposed: conv1[ky][kx][0][o] = caffe[o][0][ky][kx]
  const k = weightsOf(net, 'conv1')[0] as number[][][][];
  t.equal(k[1]![3]![0]![7], W['conv1']!.w.data[7 * 25 + 1 * 5 + 3]);
  dispose(net);
});

test('the hand-built standard LeNet takes the same file and gives the same outputs', async (t) => {
  const net = buildStandardNetwork('lenet', { inputShape: [28, 28, 1], classes: 10, seed: 1 });
  loadCaffeWeights(net.model, readCaffeModel(lenetFile()));
  close(t, classify(net), expected, 'softmax outputs equal the reference', 1e-5);
  dispose(net);
});

test('the reference itself agrees with PyTorch (NCHW, the same weights), when python3 has torch', async (t) => {
  const python = ['/usr/bin/python3', 'python3'].find((p) => spawnSync(p, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0);
  if (!python) {
    t.comment('PyTorch anchor skipped: no python3 with torch');
    return;
  }
  const dir = t.testdir();
  const f32 = (b: Blob) => Buffer.from(Float32Array.from(b.data).buffer);
  await fs.writeFile(path.join(dir, 'weights.bin'), Buffer.concat(LENET.flatMap(([, , w, b]) => [f32(w), f32(b)])));
  await fs.writeFile(path.join(dir, 'images.bin'), digits.pixels);
  const script = `
import sys, numpy as np, torch, torch.nn.functional as F
d = sys.argv[1]
v = np.fromfile(d + '/weights.bin', dtype=np.float32); o = 0
def take(*s):
    global o; n = int(np.prod(s)); t = torch.from_numpy(v[o:o+n].reshape(s).astype(np.float64)); o += n; return t
c1w, c1b, c2w, c2b = take(20,1,5,5), take(20), take(50,20,5,5), take(50)
i1w, i1b, i2w, i2b = take(500,800), take(500), take(10,500), take(10)
x = torch.from_numpy(np.fromfile(d + '/images.bin', dtype=np.uint8).reshape(-1,1,28,28).astype(np.float64)) * 0.0125
x = F.max_pool2d(F.conv2d(x, c1w, c1b), 2, 2, ceil_mode=True)
x = F.max_pool2d(F.conv2d(x, c2w, c2b), 2, 2, ceil_mode=True)
x = F.linear(F.relu(F.linear(x.flatten(1), i1w, i1b)), i2w, i2b)
np.savetxt(sys.stdout, F.softmax(x, 1).numpy(), fmt='%.10f')
`;
  const run = spawnSync(python, ['-c', script, dir], { encoding: 'utf8' });
  t.equal(run.status, 0, run.stderr.slice(-2000));
  const torchProbs = run.stdout.trim().split('\n').map((line) => line.trim().split(/\s+/).map(Number));
  close(t, torchProbs, expected, 'PyTorch softmax equals the reference', 1e-8);
});

test('a layer reading the colour image gets Caffe\'s B,G,R input planes as our R,G,B channels', async (t) => {
  const net = probe('layer { name: "c" type: "Convolution" bottom: "data" top: "c" convolution_param { num_output: 2 kernel_size: 1 } }', 'c', [1, 1, 3]);
  // Caffe's kernel [2, 3, 1, 1]: output 0 reads only the B plane, output 1 only the R plane
  loadCaffeWeights(net.model, readCaffeModel(writeCaffeModel('N', [{ name: 'c', type: 'Convolution', blobs: [{ shape: [2, 3, 1, 1], data: [1, 0, 0, 0, 0, 1] }, { shape: [2], data: [0, 0] }] }])));
  const out = tf.tidy(() => (net.deploy.predict(tf.tensor4d([10, 20, 30], [1, 1, 1, 3])) as tf.Tensor).arraySync());
  t.same(flat(out), [30, 10], 'our R,G,B pixel (10, 20, 30): B = 30, R = 10');
  dispose(net);
});

test('a file that does not fit the network is CHECKPOINT_INVALID naming the layer, and changes nothing', async (t) => {
  const net = buildCaffeNetwork(lenetPrototxt, { inputShape: [28, 28, 1], classes: 10, seed: 1 });
  const before = net.model.getWeights().map((w) => Array.from(w.dataSync()));
  const [conv1, conv2, ip1, ip2] = LENET as [typeof LENET[0], typeof LENET[0], typeof LENET[0], typeof LENET[0]];
  const cases: [string, Uint8Array, RegExp][] = [
    ['a missing layer', lenetFile([conv1, conv2, ip1]), /the network's layer "ip2" has weights but the file has no blobs for it/],
    ['an extra layer', lenetFile([...LENET, ['ip3', 'InnerProduct', W['ip2']!.w, W['ip2']!.b]]), /layer "ip3" \(InnerProduct\) has blobs but the network has no such layer/],
    ['blobs on a layer without weights', lenetFile([...LENET, ['pool1', 'Pooling', W['ip2']!.w, W['ip2']!.b]]), /layer "pool1" \(Pooling\) has blobs but the network has no such layer with weights/],
    ['a wrongly shaped kernel', lenetFile([conv1, [conv2[0], conv2[1], blob([50, 20, 3, 3], 0.1, 9), conv2[3]], ip1, ip2]),
      /layer "conv2" blob 0 \(weights\) has shape \[50, 20, 3, 3\] but the network needs \[50, 20, 5, 5\]/],
    ['a transposed InnerProduct', lenetFile([conv1, conv2, ip1, [ip2[0], ip2[1], blob([500, 10], 0.1, 9), ip2[3]]]), /layer "ip2" blob 0 \(weights\) has shape \[500, 10\] but the network needs \[10, 500\]/],
    ['a wrongly sized bias', lenetFile([conv1, conv2, [ip1[0], ip1[1], ip1[2], blob([499], 0.1, 9)], ip2]), /layer "ip1" blob 1 \(bias\) has shape \[499\]/],
    ['no bias blob', writeCaffeModel('L', LENET.map(([name, type, w, b]) => ({ name, type, blobs: name === 'conv1' ? [toTest(w)] : [toTest(w), toTest(b)] }))),
      /layer "conv1" has 1 blobs but the network's Convolution has 2 \(weights and bias\)/],
    ['another type', lenetFile([conv1, conv2, ['ip1', 'Convolution', ip1[2], ip1[3]], ip2]), /layer "ip1" is a Convolution in the weights file but an InnerProduct in the network/],
  ];
  for (const [what, bytes, message] of cases) {
    t.throws(() => loadCaffeWeights(net.model, readCaffeModel(bytes)), { code: 'CHECKPOINT_INVALID', message }, what);
  }
  t.same(net.model.getWeights().map((w) => Array.from(w.dataSync())), before, 'the weights are as built');
  // legacy 4-D blobs (1, 1, out, in) fit as Caffe's own loader lets them
  const legacy = writeCaffeModel('L', LENET.map(([name, type, w, b]) => ({ name, type, blobs: [
    { shape: w.shape.length === 2 ? [1, 1, ...w.shape] : w.shape, data: w.data }, { shape: [1, 1, 1, b.shape[0]!], data: b.data }] })));
  loadCaffeWeights(net.model, readCaffeModel(legacy));
  close(t, classify(net), expected, 'legacy-shaped blobs load the same weights', 1e-5);
  dispose(net);
});
