// The layers an FCN needs (issue #21), built from prototxt on the wasm backend and checked against
// PyTorch in float64 (NCHW, /usr/bin/python3): Deconvolution forward and gradients (kernel, bias,
// input) and its .caffemodel weights, the bilinear filler, Crop, per-pixel SoftmaxWithLoss (ignore_label, normalization) with
// its gradient, and the pixel accuracy / mean IoU of a confusion matrix.
import { spawnSync } from 'node:child_process';
import t from 'tap';
import { tf } from '../../packages/ml/src/tf.ts';
import { buildCaffeNetwork } from '../../packages/ml/src/networks/caffe/index.ts';
import { bilinearKernel } from '../../packages/ml/src/networks/caffe/layers.ts';
import { loadCaffeWeights, readCaffeModel } from '../../packages/ml/src/networks/index.ts';
import { lossOf } from '../../packages/ml/src/train/losses.ts';
import { createRandom } from '@digits-ts/dataset';
import { writeCaffeModel } from '../helpers/caffemodel-writer.ts';
import { pixelMetrics } from '../../packages/ml/src/train/evaluate.ts';
import { type Img, type Shape3, close, dispose, probe, test, weightsOf } from './caffe-helpers.ts';

const python = ['/usr/bin/python3', 'python3'].find((p) => spawnSync(p, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0);
if (!python) {
  t.comment('PyTorch references skipped: no python3 with torch');
  process.exit(0);
}

/** Runs `script` (which reads JSON `d` from stdin and prints JSON) in PyTorch. */
function torchRef<T>(script: string, data: unknown): T {
  const prelude = 'import sys, json, numpy as np, torch, torch.nn.functional as F\ntorch.set_default_dtype(torch.float64)\nd = json.load(sys.stdin)\nT = lambda v: torch.tensor(v, dtype=torch.float64)\n';
  const run = spawnSync(python!, ['-c', prelude + script], { input: JSON.stringify(data), encoding: 'utf8', maxBuffer: 64 << 20 });
  if (run.status !== 0) throw new Error(run.stderr);
  return JSON.parse(run.stdout) as T;
}

/** HWC image(s) → NCHW nested arrays in Python: `x.permute(0, 3, 1, 2)`; the reverse on the way back. */
const NHWC_TO_NCHW = 'lambda a: T(a).permute(0, 3, 1, 2)';

test('Deconvolution forward and gradients equal PyTorch conv_transpose2d (stride, pad, group, rectangles)', async (t) => {
  const cases: [string, Shape3, [number, number], [number, number], number][] = [
    ['num_output: 3 kernel_size: 4 stride: 2 pad: 1', [3, 4, 2], [2, 2], [1, 1], 1],
    ['num_output: 4 kernel_size: 3 stride: 3', [2, 3, 2], [3, 3], [0, 0], 1],
    ['num_output: 4 kernel_size: 4 stride: 2 group: 2', [3, 3, 2], [2, 2], [0, 0], 2],
    ['num_output: 2 kernel_h: 3 kernel_w: 2 stride_h: 1 stride_w: 2 pad_h: 1 pad_w: 0', [4, 3, 3], [1, 2], [1, 0], 1],
    // past 32 groups each group runs on its own (below, one block-diagonal op)
    ['num_output: 34 kernel_size: 3 stride: 2 pad: 1 group: 34', [2, 3, 34], [2, 2], [1, 1], 34],
  ];
  for (const [param, shape, stride, pad, group] of cases) {
    const fill = 'weight_filler { type: "gaussian" std: 0.5 } bias_filler { type: "uniform" min: -1 max: 1 }';
    const net = probe(`layer { name: "up" type: "Deconvolution" bottom: "data" top: "up" convolution_param { ${param} ${fill} } }`, 'up', shape);
    const [kernel, bias] = weightsOf(net, 'up') as [number[][][][], number[]];
    const result = tf.tidy(() => {
      const x = tf.randomUniform([2, ...shape], -1, 1, 'float32', 5);
      const y = net.model.predict(x) as tf.Tensor4D;
      const r = tf.randomUniform(y.shape, -1, 1, 'float32', 9);
      const f = () => tf.sum(tf.mul(net.model.apply(x, { training: true }) as tf.Tensor, r)) as tf.Scalar;
      const { grads } = tf.variableGrads(f, net.model.trainableWeights.map((w) => w.read() as tf.Variable));
      const dx = tf.grad((xx: tf.Tensor) => tf.sum(tf.mul(net.model.apply(xx, { training: true }) as tf.Tensor, r)))(x);
      const [gk, gb] = net.model.trainableWeights.map((w) => grads[(w.read() as tf.Variable).name]!.arraySync());
      return { x: x.arraySync(), y: y.arraySync(), r: r.arraySync(), dx: dx.arraySync(), gk, gb };
    });
    const ref = torchRef<{ y: Img[]; dx: Img[]; gk: number[][][][]; gb: number[] }>(`
toNCHW = ${NHWC_TO_NCHW}
x = toNCHW(d['x']).requires_grad_()
w = T(d['k']).permute(3, 2, 0, 1).contiguous().requires_grad_()   # [kh,kw,out/g,in] -> [in,out/g,kh,kw]
b = T(d['b']).requires_grad_()
y = F.conv_transpose2d(x, w, b, stride=d['stride'], padding=d['pad'], groups=d['group'])
(y * toNCHW(d['r'])).sum().backward()
print(json.dumps({'y': y.permute(0, 2, 3, 1).tolist(), 'dx': x.grad.permute(0, 2, 3, 1).tolist(),
                  'gk': w.grad.permute(2, 3, 1, 0).tolist(), 'gb': b.grad.tolist()}))
`, { x: result.x, r: result.r, k: kernel, b: bias, stride, pad, group });
    close(t, result.y, ref.y, `${param}: forward`);
    close(t, result.dx, ref.dx, `${param}: input gradient`, 1e-3);
    close(t, result.gk, ref.gk, `${param}: kernel gradient`, 1e-3);
    close(t, result.gb, ref.gb, `${param}: bias gradient`, 1e-3);
    t.same(net.decayed, ['up'], 'the kernel gets weight decay like a Convolution');
    dispose(net);
  }
});

test('Deconvolution takes a .caffemodel\'s [in, out/group, kh, kw] blob as PyTorch\'s conv_transpose2d reads it', async (t) => {
  const shape: Shape3 = [3, 3, 4];
  const random = createRandom(5);
  const weights = { shape: [4, 3, 4, 4], data: Float64Array.from(Float32Array.from({ length: 4 * 3 * 16 }, () => random() * 2 - 1)) };
  const bias = { shape: [6], data: Float64Array.from(Float32Array.from({ length: 6 }, () => random() - 0.5)) };
  // the image feeds a scaling first, so the layer does not read the (BGR-swapped) image itself
  const body = 'layer { name: "s" type: "Power" bottom: "data" top: "s" power_param { scale: 2 } }\n'
    + 'layer { name: "up" type: "Deconvolution" bottom: "s" top: "up" convolution_param { num_output: 6 group: 2 kernel_size: 4 stride: 2 pad: 1 } }';
  const net = probe(body, 'up', shape);
  const file = writeCaffeModel('deconv', [{ name: 'data', type: 'Input' }, { name: 'up', type: 'Deconvolution', blobs: [weights, bias] }]);
  t.same(loadCaffeWeights(net.model, readCaffeModel(file)).loaded, ['up']);
  const { x, y } = tf.tidy(() => {
    const input = tf.randomUniform([1, ...shape], -1, 1, 'float32', 6);
    return { x: input.arraySync(), y: (net.model.predict(input) as tf.Tensor).arraySync() };
  });
  const ref = torchRef<Img[]>(`
x = T(d['x']).permute(0, 3, 1, 2) * 2
w = T(d['w']).reshape(4, 3, 4, 4)
print(json.dumps(F.conv_transpose2d(x, w, T(d['b']), stride=2, padding=1, groups=2).permute(0, 2, 3, 1).tolist()))
`, { x, w: Array.from(weights.data), b: Array.from(bias.data) });
  close(t, y, ref, 'forward with the loaded weights');
  const wrong = writeCaffeModel('deconv', [{ name: 'up', type: 'Deconvolution', blobs: [{ shape: [3, 4, 4, 4], data: weights.data }, bias] }]);
  t.throws(() => loadCaffeWeights(net.model, readCaffeModel(wrong)), { message: /layer "up" blob 0 \(weights\) has shape \[3, 4, 4, 4\] but the network needs \[4, 3, 4, 4\]/ });
  dispose(net);
});

test('bilinear filler: FCN\'s upsampling kernel, and a ×2 upsampling that interpolates', async (t) => {
  for (const k of [2, 3, 4, 5, 8]) {
    // FCN's surgery.upsample_filt, written out in numpy independently of our formula
    const ref = torchRef<number[][]>(`
size = d
factor = (size + 1) // 2
center = factor - 1 if size % 2 == 1 else factor - 0.5
og = np.ogrid[:size, :size]
print(json.dumps(((1 - abs(og[0] - center) / factor) * (1 - abs(og[1] - center) / factor)).tolist()))
`, k);
    close(t, Array.from(bilinearKernel(k, k)), ref.flat(), `kernel ${k}`, 1e-6);
  }
  const shape: Shape3 = [3, 3, 2];
  const net = probe('layer { name: "up" type: "Deconvolution" bottom: "data" top: "up" param { lr_mult: 0 } convolution_param { num_output: 2 kernel_size: 4 stride: 2 group: 2 bias_term: false weight_filler { type: "bilinear" } } }', 'up', shape);
  t.equal(net.model.trainableWeights.length, 0, 'lr_mult 0 freezes the upsampling');
  const [kernel] = weightsOf(net, 'up') as [number[][][][]];
  const slice = Array.from(bilinearKernel(4, 4));
  close(t, kernel.flatMap((row) => row.map((cell) => cell[0]![0]!)), slice, 'every channel slice holds the bilinear kernel', 0);
  const { y, x } = tf.tidy(() => {
    const input = tf.randomUniform([1, ...shape], 0, 1, 'float32', 2);
    return { x: input.arraySync() as Img[], y: (net.model.predict(input) as tf.Tensor).arraySync() as Img[] };
  });
  t.same([y[0]!.length, y[0]![0]!.length], [8, 8], '2·(3 − 1) + 4 = 8');
  const ref = torchRef<Img[]>(`
x = T(d['x']).permute(0, 3, 1, 2)
w = T(d['w']).reshape(1, 1, 4, 4).repeat(2, 1, 1, 1)
print(json.dumps(F.conv_transpose2d(x, w, stride=2, groups=2).permute(0, 2, 3, 1).tolist()))
`, { x, w: slice });
  close(t, y, ref, 'channels upsample independently (group = channels)');
  dispose(net);
});

test('Crop: Caffe axis and offsets against the reference blob, and bad crops', async (t) => {
  const cases: [string, Shape3, Shape3, (x: Img) => Img][] = [
    ['crop_param { axis: 2 offset: 3 }', [9, 8, 2], [4, 4, 2], (x) => x.slice(3, 7).map((r) => r.slice(3, 7))],
    ['crop_param { axis: 2 offset: 1 offset: 2 }', [6, 7, 2], [3, 4, 2], (x) => x.slice(1, 4).map((r) => r.slice(2, 6))],
    ['crop_param { axis: 1 offset: 1 }', [5, 5, 3], [3, 3, 1], (x) => x.slice(1, 4).map((r) => r.slice(1, 4).map((p) => p.slice(1, 2)))],
    ['', [6, 6, 1], [4, 5, 1], (x) => x.slice(0, 4).map((r) => r.slice(0, 5))],
  ];
  for (const [param, shape, refShape, expected] of cases) {
    // the reference blob: a pooled/convolved copy of data with the wanted size
    const [kh, kw] = [shape[0] - refShape[0] + 1, shape[1] - refShape[1] + 1];
    const body = `layer { name: "ref" type: "Convolution" bottom: "data" top: "ref" convolution_param { num_output: ${refShape[2]} kernel_h: ${kh} kernel_w: ${kw} } }\n`
      + `layer { name: "crop" type: "Crop" bottom: "data" bottom: "ref" top: "crop" ${param} }\n`
      + 'layer { name: "sum" type: "Eltwise" bottom: "crop" bottom: "ref" top: "sum" }';
    const net = probe(body, 'sum', shape);
    const crop = net.deploy.getLayer('crop');
    const { x, y } = tf.tidy(() => {
      const input = tf.randomUniform([1, ...shape], -1, 1, 'float32', 4);
      return { x: (input.arraySync() as Img[])[0]!, y: ((crop.apply([input, tf.zeros([1, ...refShape])]) as tf.Tensor).arraySync() as Img[])[0]! };
    });
    close(t, y, expected(x), `${param || 'defaults (axis 2, offset 0)'}`, 0);
    dispose(net);
  }
  const bad = (body: string, pattern: RegExp, what: string) => t.throws(() => probe(body, 'crop', [6, 6, 1]), pattern, what);
  const refLayer = 'layer { name: "ref" type: "Pooling" bottom: "data" top: "ref" pooling_param { pool: MAX kernel_size: 2 stride: 2 } }\n';
  bad(`${refLayer}layer { name: "crop" type: "Crop" bottom: "data" bottom: "ref" top: "crop" crop_param { offset: 4 } }`, /cannot crop 3 at offset 4 from size 6/, 'an offset past the edge');
  bad(`${refLayer}layer { name: "crop" type: "Crop" bottom: "data" bottom: "ref" top: "crop" crop_param { axis: 0 } }`, /batch axis is never cropped/, 'the batch axis');
  bad(`${refLayer}layer { name: "crop" type: "Crop" bottom: "data" bottom: "ref" top: "crop" crop_param { offset: 1 offset: 1 offset: 1 } }`, /3 offsets for 2 cropped axes/, 'too many offsets');
});

test('per-pixel SoftmaxWithLoss equals PyTorch cross_entropy (ignore_label, normalization) with its gradient', async (t) => {
  const [n, h, w, c] = [2, 3, 4, 3];
  const labels = Array.from({ length: n * h * w }, (_, i) => (i % 7 === 3 ? 255 : (i * 5) % c));
  for (const [lossParam, norm] of [['', 'VALID'], ['loss_param { ignore_label: 255 }', 'VALID'], ['loss_param { ignore_label: 255 normalize: false }', 'BATCH_SIZE'], ['loss_param { ignore_label: 255 normalization: FULL }', 'FULL']] as const) {
    const text = 'layer { name: "data" type: "Data" top: "data" top: "label" }\n'
      + `layer { name: "score" type: "Convolution" bottom: "data" top: "score" convolution_param { num_output: ${c} kernel_size: 1 weight_filler { type: "gaussian" std: 1 } } }\n`
      + `layer { name: "loss" type: "SoftmaxWithLoss" bottom: "score" bottom: "label" top: "loss" ${lossParam} }`;
    const net = buildCaffeNetwork(text, { inputShape: [h, w, 2], classes: null, seed: 3 });
    const head = net.heads[0]!;
    t.equal(head.kind, 'pixel-softmax', 'a 4-D score blob makes a per-pixel head');
    t.equal(head.normalization ?? 'VALID', norm, `${lossParam || 'no loss_param'}: normalization ${norm}`);
    t.same([head.accuracy, head.meanIou], ['pixel_accuracy', 'mean_iou'], 'pixel accuracy and mean IoU series');
    const ignoring = lossParam.includes('ignore_label');
    const usable = ignoring ? labels : labels.map((l) => (l === 255 ? 1 : l));
    const ours = tf.tidy(() => {
      const scores = tf.randomNormal([n, h, w, c], 0, 2, 'float32', 8);
      const targets = tf.tensor2d(usable, [n, h * w]);
      const f = (s: tf.Tensor) => lossOf('pixel-softmax', s, { labels: tf.zeros([n], 'int32'), targets }, 'mean', head);
      return { scores: scores.arraySync(), loss: f(scores).arraySync(), grad: tf.grad(f)(scores).arraySync(), sum: lossOf('pixel-softmax', scores, { labels: tf.zeros([n], 'int32'), targets }, 'sum', head).arraySync() };
    });
    const ref = torchRef<{ loss: number; grad: number[] }>(`
s = T(d['scores']).permute(0, 3, 1, 2).requires_grad_()
y = torch.tensor(d['labels'], dtype=torch.long).reshape(${n}, ${h}, ${w})
ignore = d['ignore'] if d['ignore'] is not None else -100
total = F.cross_entropy(s, y, ignore_index=ignore, reduction='sum')
valid = (y != ignore).sum().item()
div = {'VALID': max(valid, 1), 'BATCH_SIZE': ${n}, 'FULL': ${n * h * w}, 'NONE': 1}[d['norm']]
loss = total / div
loss.backward()
print(json.dumps({'loss': loss.item(), 'grad': s.grad.permute(0, 2, 3, 1).tolist()}))
`, { scores: ours.scores, labels: usable, ignore: ignoring ? 255 : null, norm });
    close(t, ours.loss, ref.loss, `${lossParam || 'defaults'}: loss`, 1e-4);
    close(t, ours.grad, ref.grad, `${lossParam || 'defaults'}: gradient`, 1e-5);
    close(t, ours.sum, ref.loss * n, `${lossParam || 'defaults'}: the sum reduction is the mean times N`, 1e-3);
    dispose(net);
  }
});

test('pixel accuracy and mean IoU of a confusion matrix equal numpy\'s', async (t) => {
  const labels = Array.from({ length: 500 }, (_, i) => (i * 7) % 4);
  const predicted = labels.map((l, i) => (i % 5 === 0 ? (l + 1) % 4 : i % 11 === 0 ? 3 : l));
  const matrix = Array.from({ length: 4 }, () => new Array<number>(4).fill(0));
  labels.forEach((l, i) => { matrix[l]![predicted[i]!]!++; });
  const ref = torchRef<{ accuracy: number; meanIou: number }>(`
y, p = np.array(d['labels']), np.array(d['predicted'])
ious = [((y == k) & (p == k)).sum() / ((y == k) | (p == k)).sum() for k in range(4) if ((y == k) | (p == k)).any()]
print(json.dumps({'accuracy': float((y == p).mean()), 'meanIou': float(np.mean(ious))}))
`, { labels, predicted });
  const ours = pixelMetrics(matrix);
  close(t, ours.accuracy, ref.accuracy, 'pixel accuracy', 1e-12);
  close(t, ours.meanIou, ref.meanIou, 'mean IoU', 1e-12);
  t.same(pixelMetrics([[5, 0, 0], [0, 0, 0], [0, 0, 5]]), { accuracy: 1, meanIou: 1 }, 'a class absent from labels and predictions is not averaged');
});
