/**
 * Our webgpu kernels (run on Mesa's lavapipe here) against the cpu backend's, on seeded random
 * shapes, strides, paddings, dilations and channel groups, through every path (tiled GEMM, split
 * over K, direct), plus whole-network gradients, and a check that nothing leaks.
 */
import t, { type Test } from 'tap';
import { initBackend, tf } from '../../packages/ml/src/tf.ts';
import { GEMM_PARALLELISM_FLAG } from '../../packages/ml/src/webgpu/kernels/gemm.ts';
import { WEBGPU_TRAINING_KERNELS } from '../../packages/ml/src/webgpu/kernels/index.ts';
import { GROUP_CONV } from '../../packages/ml/src/ops/group-conv.ts';
import { BATCH_PREP } from '../../packages/ml/src/ops/batch-prep.ts';
import { MOMENTUM_UPDATE } from '../../packages/ml/src/ops/momentum-update.ts';
import { SOFTMAX_CROSS_ENTROPY, softmaxCrossEntropy } from '../../packages/ml/src/ops/softmax-cross-entropy.ts';
import { onLavapipe, useLavapipe } from '../helpers/webgpu.ts';
import { relativeError, runKernelOn, seededCases, type HostTensor } from '../helpers/kernel-compare.ts';

type Shape4 = [number, number, number, number];
type Pad = 'valid' | 'same' | number | [[number, number], [number, number], [number, number], [number, number]];

useLavapipe();
const info = await initBackend('webgpu');

const { rand, int, pick } = seededCases(20261204);
const host = (shape: number[], positive = false): HostTensor => ({
  shape, data: Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => (positive ? rand() + 0.1 : rand() * 2 - 1)),
});
const runOn = runKernelOn;

const TOLERANCE = 1e-4;

function checkClose(tt: Test, label: string, actual: HostTensor, expected: HostTensor): void {
  tt.same(actual.shape, expected.shape, `${label}: shape`);
  const error = relativeError(actual, expected);
  tt.ok(error <= TOLERANCE, `${label}: relative error ${error.toExponential(2)}`);
}

/** Runs `run` on webgpu and checks that it left no tensor and no GPU buffer behind. */
async function leakFree<T>(tt: Test, label: string, run: () => Promise<T>): Promise<T> {
  await tf.setBackend('webgpu');
  const tensors = tf.memory().numTensors;
  const buffers = tf.backend().numDataIds();
  const result = await run();
  await tf.setBackend('webgpu');
  tt.equal(tf.memory().numTensors, tensors, `${label}: no tensor left behind`);
  tt.equal(tf.backend().numDataIds(), buffers, `${label}: no GPU buffer left behind`);
  return result;
}

async function compareKernel(tt: Test, label: string, kernel: string, inputs: Record<string, HostTensor>, attrs: object): Promise<void> {
  const expected = await runOn('cpu', kernel, inputs, attrs);
  const actual = await leakFree(tt, label, () => runOn('webgpu', kernel, inputs, attrs));
  checkClose(tt, label, actual, expected);
}

/** Runs `body` with GEMMs aiming at `parallelism` workgroups: 1 never splits K, 1 << 16 always does. */
async function withParallelism(parallelism: number, body: () => Promise<void>): Promise<void> {
  const before = tf.env().getNumber(GEMM_PARALLELISM_FLAG);
  tf.env().set(GEMM_PARALLELISM_FLAG, parallelism);
  try {
    await body();
  } finally {
    tf.env().set(GEMM_PARALLELISM_FLAG, before);
  }
}

function randomPad(fh: number, fw: number): Pad {
  const kind = pick(['valid', 'same', 'number', 'explicit'] as const);
  if (kind === 'number') return int(0, Math.min(fh, fw) - 1);
  if (kind === 'explicit') return [[0, 0], [int(0, fh - 1), int(0, fh - 1)], [int(0, fw - 1), int(0, fw - 1)], [0, 0]];
  return kind;
}

interface ConvCase { label: string; x: Shape4; filter: Shape4; strides: [number, number]; pad: Pad; dilations?: [number, number] }

function randomConvCase(i: number): ConvCase {
  const fh = int(1, 5);
  const fw = int(1, 5);
  const x: Shape4 = [int(1, 3), int(fh, 13), int(fw, 13), pick([1, 2, 3, 5, 8, 17])];
  const filter: Shape4 = [fh, fw, x[3], pick([1, 3, 4, 7, 16, 20, 33, 70])];
  const strides: [number, number] = [int(1, 3), int(1, 3)];
  return { label: `case ${i}: x ${x} filter ${filter} strides ${strides}`, x, filter, strides, pad: randomPad(fh, fw) };
}

const convCases: ConvCase[] = [
  ...Array.from({ length: 12 }, (_, i) => randomConvCase(i)),
  { label: 'LeNet conv1', x: [2, 28, 28, 1], filter: [5, 5, 1, 20], strides: [1, 1], pad: 'valid' },
  { label: 'LeNet conv2', x: [2, 12, 12, 20], filter: [5, 5, 20, 50], strides: [1, 1], pad: 'valid' },
  { label: 'AlexNet conv1 (11×11 s4)', x: [1, 47, 47, 3], filter: [11, 11, 3, 16], strides: [4, 4], pad: 'valid' },
  { label: 'GoogLeNet stem (7×7 s2 pad 3)', x: [1, 20, 20, 3], filter: [7, 7, 3, 8], strides: [2, 2], pad: [[0, 0], [3, 3], [3, 3], [0, 0]] },
  { label: 'GoogLeNet 3×3 same', x: [2, 9, 9, 16], filter: [3, 3, 16, 96], strides: [1, 1], pad: 'same' },
  { label: 'pad past the filter', x: [1, 6, 6, 2], filter: [2, 2, 2, 3], strides: [1, 1], pad: 3 },
];

t.test('the backend is webgpu, on lavapipe or the GPU', async (tt) => {
  tt.equal(info.name, 'webgpu');
  tt.equal(info.adapter?.software, onLavapipe, `adapter ${info.adapter?.device}`);
  tt.ok(info.adapter?.vendor && info.adapter.device && info.adapter.description, 'vendor, device and description reported');
  tt.same([...WEBGPU_TRAINING_KERNELS].sort(), ['Conv2D', 'Conv2DBackpropFilter', 'Conv2DBackpropInput', GROUP_CONV.forward, GROUP_CONV.inputGrad, GROUP_CONV.filterGrad, 'FusedConv2D', 'LRNGrad', 'MaxPoolGrad', 'BatchMatMul', '_FusedMatMul', MOMENTUM_UPDATE, SOFTMAX_CROSS_ENTROPY.forward, SOFTMAX_CROSS_ENTROPY.grad, BATCH_PREP].sort(), 'every kernel we register is tested below');
});

t.test('Conv2D and FusedConv2D match cpu', async (tt) => {
  const cases: ConvCase[] = [
    ...convCases,
    { label: 'dilated 3×3 (2, 3)', x: [2, 13, 14, 5], filter: [3, 3, 5, 9], strides: [1, 1], pad: 'same', dilations: [2, 3] },
    { label: 'dilated valid', x: [1, 11, 11, 4], filter: [2, 3, 4, 6], strides: [1, 1], pad: 'valid', dilations: [3, 2] },
    { label: '1×1 (the package\'s matmul)', x: [2, 7, 7, 12], filter: [1, 1, 12, 10], strides: [1, 1], pad: 'same' },
  ];
  for (const c of cases) {
    const attrs = { strides: c.strides, pad: c.pad, dataFormat: 'NHWC', dilations: c.dilations ?? [1, 1] };
    await compareKernel(tt, `Conv2D ${c.label}`, 'Conv2D', { x: host(c.x), filter: host(c.filter) }, attrs);
    const activation = pick(['linear', 'relu'] as const);
    await compareKernel(tt, `FusedConv2D ${activation} ${c.label}`, 'FusedConv2D', { x: host(c.x), filter: host(c.filter), bias: host([c.filter[3]]) }, { ...attrs, activation });
  }
  await withParallelism(1 << 16, async () => {
    const c = convCases[convCases.length - 2]!;
    await compareKernel(tt, 'FusedConv2D relu split over K', 'FusedConv2D', { x: host(c.x), filter: host(c.filter), bias: host([c.filter[3]]) }, { strides: c.strides, pad: c.pad, dataFormat: 'NHWC', dilations: 1, activation: 'relu' });
  });
  await compareKernel(tt, 'FusedConv2D elu (the package\'s kernel)', 'FusedConv2D', { x: host([1, 6, 6, 3]), filter: host([3, 3, 3, 4]), bias: host([4]) }, { strides: 1, pad: 'same', dataFormat: 'NHWC', dilations: 1, activation: 'elu' });
});

t.test('Conv2DBackpropFilter matches cpu, whole and split over K', async (tt) => {
  for (const [parallelism, how] of [[1, 'whole'], [1 << 16, 'split']] as const) {
    await withParallelism(parallelism, async () => {
      for (const c of convCases) {
        const conv = tf.backend_util.computeConv2DInfo(c.x, c.filter, c.strides, 1, c.pad);
        await compareKernel(tt, `${how} ${c.label}`, 'Conv2DBackpropFilter', { x: host(c.x), dy: host(conv.outShape) }, { strides: c.strides, pad: c.pad, dataFormat: 'NHWC', filterShape: c.filter });
      }
    });
  }
});

t.test('Conv2DBackpropInput matches cpu (tiled, direct for ≤ 4 channels, split)', async (tt) => {
  for (const c of convCases) {
    const conv = tf.backend_util.computeConv2DInfo(c.x, c.filter, c.strides, 1, c.pad);
    await compareKernel(tt, c.label, 'Conv2DBackpropInput', { dy: host(conv.outShape), filter: host(c.filter) }, { strides: c.strides, pad: c.pad, dataFormat: 'NHWC', inputShape: c.x });
  }
  await withParallelism(1 << 16, async () => {
    const c = convCases.find((k) => k.label === 'LeNet conv2')!;
    const conv = tf.backend_util.computeConv2DInfo(c.x, c.filter, c.strides, 1, c.pad);
    await compareKernel(tt, `split ${c.label}`, 'Conv2DBackpropInput', { dy: host(conv.outShape), filter: host(c.filter) }, { strides: c.strides, pad: c.pad, dataFormat: 'NHWC', inputShape: c.x });
  });
});

/** The grouped convolution's reference on cpu: split, convolve per group, concatenate. */
function splitConv(x: tf.Tensor4D, filter: tf.Tensor4D, strides: number, pad: 'valid' | 'same', groups: number): tf.Tensor4D {
  const xs = tf.split(x, groups, 3);
  const ws = tf.split(filter, groups, 3);
  return tf.concat(xs.map((xg, g) => tf.conv2d(xg as tf.Tensor4D, ws[g] as tf.Tensor4D, strides, pad)), 3);
}

t.test('grouped convolution and its gradients match split-and-concat on cpu', async (tt) => {
  const cases = [
    { label: 'AlexNet conv2 (groups 2, 5×5 pad 2)', x: [2, 9, 9, 8] as Shape4, k: 5, out: 12, strides: 1, pad: 'same' as const, groups: 2 },
    { label: 'AlexNet conv4 (groups 2, 3×3)', x: [2, 6, 6, 12] as Shape4, k: 3, out: 16, strides: 1, pad: 'same' as const, groups: 2 },
    { label: 'groups 3, stride 2, valid', x: [3, 11, 10, 6] as Shape4, k: 3, out: 9, strides: 2, pad: 'valid' as const, groups: 3 },
    { label: 'groups 4, one channel each', x: [1, 7, 7, 4] as Shape4, k: 2, out: 8, strides: 1, pad: 'valid' as const, groups: 4 },
  ];
  for (const c of cases) {
    const x = host(c.x);
    const filter = host([c.k, c.k, c.x[3] / c.groups, c.out]);
    const attrs = { strides: c.strides, pad: c.pad, groups: c.groups };
    await tf.setBackend('cpu');
    const ref = tf.tidy(() => {
      const xt = tf.tensor4d(x.data, c.x);
      const wt = tf.tensor4d(filter.data, filter.shape as Shape4);
      const y = splitConv(xt, wt, c.strides, c.pad, c.groups);
      const dy = tf.tensor4d(host(y.shape).data, y.shape);
      const [dx, dw] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(splitConv(a as tf.Tensor4D, b as tf.Tensor4D, c.strides, c.pad, c.groups), dy)))([xt, wt]);
      return { y, dy, dx: dx!, dw: dw! };
    });
    const hostOf = async (t4: tf.Tensor): Promise<HostTensor> => ({ shape: t4.shape, data: (await t4.data()) as Float32Array });
    const expected = { y: await hostOf(ref.y), dy: await hostOf(ref.dy), dx: await hostOf(ref.dx), dw: await hostOf(ref.dw) };
    tf.dispose(Object.values(ref));
    for (const [parallelism, how] of [[1, 'whole'], [1 << 16, 'split']] as const) {
      await withParallelism(parallelism, async () => {
        checkClose(tt, `${how} forward ${c.label}`, await leakFree(tt, c.label, () => runOn('webgpu', GROUP_CONV.forward, { x, filter }, attrs)), expected.y);
        checkClose(tt, `${how} input gradient ${c.label}`, await runOn('webgpu', GROUP_CONV.inputGrad, { dy: expected.dy, filter }, { ...attrs, inputShape: c.x }), expected.dx);
        checkClose(tt, `${how} filter gradient ${c.label}`, await runOn('webgpu', GROUP_CONV.filterGrad, { x, dy: expected.dy }, { ...attrs, filterShape: filter.shape }), expected.dw);
      });
    }
  }
});

t.test('LRNGrad matches cpu', async (tt) => {
  const cases = [
    { label: 'AlexNet norm (n 5, α 1e-4/5, β 0.75)', shape: [2, 5, 5, 16], depthRadius: 2, bias: 1, alpha: 1e-4 / 5, beta: 0.75 },
    { label: 'strong normalisation', shape: [1, 3, 4, 9], depthRadius: 1, bias: 2, alpha: 0.5, beta: 0.5 },
    { label: 'window wider than the channels', shape: [2, 2, 2, 3], depthRadius: 3, bias: 1, alpha: 0.3, beta: 1 },
    ...Array.from({ length: 4 }, (_, i) => ({ label: `case ${i}`, shape: [int(1, 3), int(1, 5), int(1, 5), int(1, 24)], depthRadius: int(0, 4), bias: 0.5 + rand(), alpha: rand(), beta: 0.25 + rand() })),
  ];
  for (const c of cases) {
    const { shape, ...attrs } = c;
    const x = host(shape);
    const y = await runOn('cpu', 'LRN', { x }, attrs);
    await compareKernel(tt, c.label, 'LRNGrad', { x, y, dy: host(shape) }, attrs);
  }
});

t.test('BatchMatMul and _FusedMatMul match cpu (tiled, direct, split over K, broadcast batches)', async (tt) => {
  const cases = [
    { m: 2, k: 4096, n: 256, transposeA: false, transposeB: true, lead: [] as number[], leadB: [] as number[], label: 'a dense input gradient at batch 2 (the package answers wrong)' },
    { m: 64, k: 800, n: 500, transposeA: false, transposeB: false, lead: [], leadB: [], label: 'LeNet ip1' },
    { m: 800, k: 64, n: 500, transposeA: true, transposeB: false, lead: [], leadB: [], label: 'LeNet ip1 weight gradient' },
    { m: 5, k: 7, n: 3, transposeA: false, transposeB: false, lead: [], leadB: [], label: 'N ≤ 4: direct' },
    { m: 6, k: 9, n: 10, transposeA: true, transposeB: true, lead: [3], leadB: [3], label: 'batched, both transposed' },
    { m: 4, k: 5, n: 6, transposeA: false, transposeB: false, lead: [2, 2], leadB: [], label: 'B broadcast over the batch' },
    ...Array.from({ length: 8 }, (_, i) => ({ m: int(1, 70), k: int(1, 300), n: int(1, 70), transposeA: i % 2 === 1, transposeB: i % 4 >= 2, lead: i >= 6 ? [2] : [], leadB: i >= 6 ? [2] : [], label: `case ${i}` })),
  ];
  for (const c of cases) {
    const a = host([...c.lead, ...(c.transposeA ? [c.k, c.m] : [c.m, c.k])]);
    const b = host([...c.leadB, ...(c.transposeB ? [c.n, c.k] : [c.k, c.n])]);
    const label = `${c.label}: a ${a.shape} b ${b.shape}`;
    await compareKernel(tt, label, 'BatchMatMul', { a, b }, { transposeA: c.transposeA, transposeB: c.transposeB });
    await compareKernel(tt, `fused relu ${label}`, '_FusedMatMul', { a, b, bias: host([c.n]) }, { transposeA: c.transposeA, transposeB: c.transposeB, activation: 'relu' });
  }
  await withParallelism(1 << 16, async () => {
    const a = host([64, 900]);
    const b = host([900, 40]);
    await compareKernel(tt, 'fused relu split over K', '_FusedMatMul', { a, b, bias: host([40]) }, { transposeA: false, transposeB: false, activation: 'relu' });
  });
});

t.test('MaxPoolGrad matches cpu, ties going to the first pixel as in Caffe', async (tt) => {
  const quantized = (shape: number[]): HostTensor => ({ shape, data: Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => Math.max(0, int(-2, 2))) });
  const cases = [
    { label: 'LeNet pool 2 s2', x: host([3, 24, 24, 20]), filterSize: 2, strides: 2, pad: 'valid' as const },
    { label: 'AlexNet pool 3 s2 after a ReLU (ties)', x: quantized([2, 13, 13, 8]), filterSize: 3, strides: 2, pad: 'valid' as const },
    { label: 'GoogLeNet pool 3 s1 same (ties)', x: quantized([2, 7, 7, 6]), filterSize: 3, strides: 1, pad: 'same' as const },
    { label: 'all-negative windows, padded', x: { shape: [2, 6, 6, 4], data: host([2, 6, 6, 4]).data.map((v) => -Math.abs(v) - 0.1) }, filterSize: 3, strides: 2, pad: 1 },
    ...Array.from({ length: 6 }, (_, i) => {
      const k = int(1, 4);
      return { label: `case ${i}`, x: (i % 2 ? quantized : host)([int(1, 3), int(k, 12), int(k, 12), int(1, 5)]), filterSize: k, strides: int(1, 3), pad: pick(['valid', 'same'] as const) };
    }),
  ];
  for (const c of cases) {
    const attrs = { filterSize: c.filterSize, strides: c.strides, pad: c.pad };
    const output = await runOn('cpu', 'MaxPool', { x: c.x }, attrs);
    await compareKernel(tt, c.label, 'MaxPoolGrad', { dy: host(output.shape), input: c.x, output }, attrs);
  }
});

t.test('whole-network gradients match cpu: LeNet, and AlexNet\'s groups, LRN and Caffe pooling', async (tt) => {
  const { buildStandardNetwork } = await import('../../packages/ml/src/networks/index.ts');
  for (const c of [{ name: 'lenet' as const, shape: [28, 28, 1] as [number, number, number], batch: 4 }, { name: 'alexnet' as const, shape: [67, 67, 3] as [number, number, number], batch: 1 }]) {
    const x = host([c.batch, ...c.shape], true);
    const labels = Int32Array.from({ length: c.batch }, (_, i) => i % 10);
    const gradients: HostTensor[][] = [];
    for (const backend of ['cpu', 'webgpu'] as const) {
      await tf.setBackend(backend);
      const network = buildStandardNetwork(c.name, { inputShape: c.shape, classes: 10, seed: 3 });
      const vars = network.model.trainableWeights.map((w) => w.read() as tf.Variable);
      const { grads, value } = tf.variableGrads(() => {
        const logits = network.model.apply(tf.tensor4d(x.data, [c.batch, ...c.shape]), { training: false }) as tf.Tensor;
        return tf.losses.softmaxCrossEntropy(tf.oneHot(tf.tensor1d(labels, 'int32'), 10), logits) as tf.Scalar;
      }, vars);
      gradients.push(await Promise.all(vars.map(async (v) => ({ shape: grads[v.name]!.shape, data: (await grads[v.name]!.data()) as Float32Array }))));
      tf.dispose([value, ...Object.values(grads)]);
      network.model.dispose();
    }
    gradients[0]!.forEach((expected, i) => checkClose(tt, `${c.name} gradient ${i} ${expected.shape}`, gradients[1]![i]!, expected));
  }
});

t.test('the fused momentum update matches TF.js momentum with Caffe\'s weight decay', async (tt) => {
  for (const [nesterov, decay] of [[false, 0], [false, 1e-4], [true, 5e-3]] as const) {
    const [value, accumulation, gradient] = [host([7, 33]), host([7, 33]), host([7, 33])];
    const attrs = { lr: 0.05, momentum: 0.9, decay, nesterov };
    await tf.setBackend('cpu');
    const expected = tf.tidy(() => {
      const [v, a, g] = [value, accumulation, gradient].map((h) => tf.tensor(h.data, h.shape));
      const g2 = tf.add(g!, tf.mul(v!, decay));
      const a2 = tf.add(tf.mul(a!, 0.9), g2);
      return [a2, tf.sub(v!, tf.mul(nesterov ? tf.add(g2, tf.mul(a2, 0.9)) : a2, 0.05))];
    });
    const want = await Promise.all(expected.map(async (e) => ({ shape: e.shape, data: (await e.data()) as Float32Array })));
    tf.dispose(expected);
    const got = await leakFree(tt, `nesterov ${nesterov}`, async () => {
      const inputs = Object.fromEntries(Object.entries({ value, accumulation, gradient }).map(([k, h]) => [k, tf.tensor(h.data, h.shape)]));
      const outs = tf.engine().runKernel(MOMENTUM_UPDATE, inputs, attrs as unknown as tf.NamedAttrMap) as unknown as tf.Tensor[];
      const read = await Promise.all(outs.map(async (o) => ({ shape: o.shape, data: (await o.data()) as Float32Array })));
      tf.dispose([...outs, ...Object.values(inputs)]);
      return read;
    });
    checkClose(tt, `accumulation, nesterov ${nesterov}, decay ${decay}`, got[0]!, want[0]!);
    checkClose(tt, `value, nesterov ${nesterov}, decay ${decay}`, got[1]!, want[1]!);
  }
});

t.test('the fused softmax cross-entropy and its gradient match tf.losses on cpu', async (tt) => {
  for (const { rows, classes, reduction } of [{ rows: 64, classes: 10, reduction: 'mean' as const }, { rows: 300, classes: 1000, reduction: 'sum' as const }, { rows: 3, classes: 2, reduction: 'mean' as const }]) {
    const logits = host([rows, classes]);
    logits.data.forEach((v, i) => { logits.data[i] = v * 8; });
    // one label past the classes: tf.oneHot makes it a row of zeros, so it counts for nothing
    const labels = Int32Array.from({ length: rows }, (_, i) => (i === 1 ? classes : int(0, classes - 1)));
    const dy = 0.5 + rand();
    const reference = async (backend: 'cpu' | 'webgpu', fused: boolean) => {
      await tf.setBackend(backend);
      const z = tf.tensor2d(logits.data, [rows, classes]);
      const y = tf.tensor1d(labels, 'int32');
      const lossOf = (x: tf.Tensor2D) => (fused
        ? softmaxCrossEntropy(x, y, { reduction })
        : tf.losses.softmaxCrossEntropy(tf.oneHot(y, classes), x, undefined, undefined, reduction === 'mean' ? tf.Reduction.MEAN : tf.Reduction.SUM)) as tf.Scalar;
      const { value, grads } = tf.valueAndGrads((x: tf.Tensor) => tf.mul(lossOf(x as tf.Tensor2D), dy) as tf.Scalar)([z]);
      const out = [{ shape: [], data: (await value.data()) as Float32Array }, { shape: grads[0]!.shape, data: (await grads[0]!.data()) as Float32Array }];
      tf.dispose([z, y, value, ...grads]);
      return out;
    };
    const [want, got] = [await reference('cpu', false), await leakFree(tt, `${rows}×${classes}`, () => reference('webgpu', true))];
    checkClose(tt, `loss ${rows}×${classes} ${reduction}`, got[0]!, want[0]!);
    checkClose(tt, `gradient ${rows}×${classes} ${reduction}`, got[1]!, want[1]!);
  }
});

t.test('batches made on the device from the bytes equal the batches JavaScript fills', async (tt) => {
  const { BatchFeed } = await import('../../packages/ml/src/batches/feed.ts');
  const { fillBatch } = await import('../../packages/ml/src/batches/fill.ts');
  const { createRandom } = await import('@digits-ts/dataset');
  const [height, width, channels, count] = [11, 13, 3, 9];
  const samples = {
    height, width, channels, count,
    pixels: Uint8Array.from({ length: count * height * width * channels }, () => int(0, 255)),
    labels: Int32Array.from({ length: count }, (_, i) => i % 4),
  };
  const mean = Float32Array.from({ length: height * width * channels }, () => rand() * 255);
  const augmentation = (await import('./train-helpers.ts')).formOptions({}).augmentation;
  for (const [train, crop, withMean] of [[true, 8, true], [false, 8, true], [true, null, false], [false, null, true]] as const) {
    const label = `train ${train}, crop ${crop}, mean ${withMean}`;
    const opts = (seed: number) => ({ crop, mirror: true, mean: withMean ? mean : null, augmentation, train, random: createRandom(seed) });
    const indices = [4, 0, 8, 3, 3];
    const js = opts(5);
    const [h, w] = crop ? [crop, crop] : [height, width];
    const floats = new Float32Array(indices.length * h * w * channels);
    const jsLabels = new Int32Array(indices.length);
    fillBatch(samples, indices, js, floats, jsLabels);
    await tf.setBackend('webgpu');
    const device = opts(5);
    const feed = new BatchFeed(samples, device, indices.length);
    tt.ok(feed.onDevice, `${label}: made on the device`);
    const labels = new Int32Array(indices.length);
    const batch = await leakFree(tt, label, async () => {
      const input = feed.input(samples, indices, labels);
      const data = await input.data();
      input.dispose();
      feed.dispose();
      return data;
    });
    tt.same(Array.from(batch), Array.from(floats), `${label}: the same values`);
    tt.same(Array.from(labels), Array.from(jsLabels), `${label}: the same labels`);
    tt.equal(device.random(), js.random(), `${label}: the same random draws`);
  }
});
