// loadCaffeWeights: a LeNet .caffemodel written here from known weights, loaded onto LeNet built
// from DIGITS' prototxt (and onto the hand-built standard LeNet), classifies real MNIST digits as
// a plain N×C×H×W forward pass with those weights does (PyTorch too, when this machine has it).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { declaredInputShape, trainableCaffeText, withClassifierWidth } from '@digits-ts/caffe';
import { buildCustomNetwork, readCaffeModel } from '@digits-ts/ml';
import { tf } from '../../packages/ml/src/tf.ts';
import { buildStandardNetwork, loadCaffeWeights, type BuiltNetwork } from '../../packages/ml/src/networks/index.ts';
import { buildCaffeNetwork } from '../../packages/ml/src/networks/caffe/index.ts';
import { standardNetworkText } from '../../apps/gateway/src/standard-networks.ts';
import { writeCaffeModel } from '../helpers/caffemodel-writer.ts';
import { blob, LENET, lenetDeployPrototxt, lenetFile, lenetRef, toTest, W, type Blob } from '../helpers/lenet-reference.ts';
import { close, dispose, flat, probe, test, weightsOf } from './caffe-helpers.ts';
import { mnistSamples } from './train-helpers.ts';

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

test('a deploy.prototxt (input_shape or an Input layer) made trainable takes the file and classifies as the weights do', async (t) => {
  for (const inputLayer of [false, true]) {
    const text = lenetDeployPrototxt(inputLayer);
    t.same(declaredInputShape(text), [1, 28, 28], 'the declared input: 1×28×28');
    const net = await buildCustomNetwork(trainableCaffeText(text), [28, 28, 1], 10);
    t.same(net.heads.map((h) => h.loss), ['loss'], 'trains on a SoftmaxWithLoss added on ip2');
    t.same(net.outputs, ['prob'], 'deploys the prototxt\'s own Softmax');
    loadCaffeWeights(net.model, readCaffeModel(lenetFile()));
    close(t, classify(net), expected, `softmax outputs equal the reference (${inputLayer ? 'Input layer' : 'input_shape'})`, 1e-5);
    dispose(net);
  }
  t.equal(trainableCaffeText(lenetPrototxt), lenetPrototxt, 'a net with a loss is left as it is');
  // fine-tuning on 3 classes: the classifier (ip2, what the loss reads) gets 3 outputs, nothing else changes
  const trainable = trainableCaffeText(lenetDeployPrototxt());
  const three = withClassifierWidth(trainable, 3);
  t.equal(three, trainable.replace('num_output: 10', 'num_output: 3'));
  t.equal(withClassifierWidth(trainable, 10), trainable, 'already 10 wide');
  const net = await buildCustomNetwork(three, [28, 28, 1], 3);
  t.same(net.model.getLayer('ip2').getWeights()[0]!.shape, [500, 3]);
  t.same(net.model.getLayer('ip1').getWeights()[0]!.shape, [800, 500], 'ip1 keeps its 500 outputs');
  dispose(net);
  t.equal(declaredInputShape(lenetPrototxt), null, 'a train_val net declares no input');
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
