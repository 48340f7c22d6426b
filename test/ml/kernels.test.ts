/**
 * Our wasm training kernels against the cpu backend's, on seeded random shapes, strides and pads,
 * plus whole-model gradients, and a check that no tensor or wasm buffer leaks.
 */
import t, { type Test } from 'tap';
import { initBackend, tf } from '../../packages/ml/src/tf.ts';
import { relativeError, runKernelOn, seededCases, type HostTensor } from '../helpers/kernel-compare.ts';
import { conv2dBackpropFilterForm } from '../../packages/ml/src/kernels/conv2d-backprop-filter.ts';
import { conv2dBackpropInputForm } from '../../packages/ml/src/kernels/conv2d-backprop-input.ts';
import { PATCH_ELEMENTS_FLAG } from '../../packages/ml/src/kernels/flags.ts';

type Pad = 'valid' | 'same' | number | [[number, number], [number, number], [number, number], [number, number]];
type Shape4 = [number, number, number, number];

await initBackend('wasm');

const { rand, int, pick } = seededCases(20240611);
const values = (n: number, quantize = false) => Float32Array.from({ length: n }, () => (quantize ? Math.round(rand() * 4 - 2) : rand() * 2 - 1));
const host = (shape: number[], quantize = false): HostTensor => ({ shape, data: values(shape.reduce((a, b) => a * b, 1), quantize) });
const runKernel = runKernelOn;

const TOLERANCE = 1e-4;

async function compareKernel(tt: Test, label: string, kernel: string, inputs: Record<string, HostTensor>, attrs: Record<string, unknown>): Promise<void> {
  const expected = await runKernel('cpu', kernel, inputs, attrs);
  await tf.setBackend('wasm');
  const tensorsBefore = tf.memory().numTensors;
  const buffersBefore = tf.backend().numDataIds();
  const actual = await runKernel('wasm', kernel, inputs, attrs);
  tt.same(actual.shape, expected.shape, `${label}: shape`);
  const error = relativeError(actual, expected);
  tt.ok(error <= TOLERANCE, `${label}: relative error ${error.toExponential(2)}`);
  tt.equal(tf.memory().numTensors, tensorsBefore, `${label}: no tensor left behind`);
  tt.equal(tf.backend().numDataIds(), buffersBefore, `${label}: no wasm buffer left behind`);
}

function randomPad(filterHeight: number, filterWidth: number): Pad {
  const kind = pick(['valid', 'same', 'number', 'explicit'] as const);
  if (kind === 'number') return int(0, Math.min(filterHeight, filterWidth) - 1);
  if (kind === 'explicit') return [[0, 0], [int(0, filterHeight - 1), int(0, filterHeight - 1)], [int(0, filterWidth - 1), int(0, filterWidth - 1)], [0, 0]];
  return kind;
}

interface ConvCase { label: string; x: Shape4; filter: Shape4; strides: [number, number]; pad: Pad }

function randomConvCase(i: number): ConvCase {
  const filterHeight = int(1, 5);
  const filterWidth = int(1, 5);
  const x: Shape4 = [int(1, 4), int(filterHeight, 14), int(filterWidth, 14), pick([1, 2, 3, 5, 8, 11])];
  const filter: Shape4 = [filterHeight, filterWidth, x[3], int(1, 7)];
  const strides: [number, number] = [int(1, 3), int(1, 3)];
  const pad = randomPad(filterHeight, filterWidth);
  return { label: `case ${i}: x ${x} filter ${filter} strides ${strides} pad ${JSON.stringify(pad)}`, x, filter, strides, pad };
}

/** Random cases plus the shapes LeNet, AlexNet and GoogLeNet layers have (scaled down in batch). */
const convCases: ConvCase[] = [
  ...Array.from({ length: 14 }, (_, i) => randomConvCase(i)),
  { label: 'LeNet conv1', x: [2, 28, 28, 1], filter: [5, 5, 1, 20], strides: [1, 1], pad: 'valid' },
  { label: 'LeNet conv2', x: [2, 12, 12, 20], filter: [5, 5, 20, 50], strides: [1, 1], pad: 'valid' },
  { label: 'AlexNet conv1 (11×11 s4)', x: [1, 59, 59, 3], filter: [11, 11, 3, 8], strides: [4, 4], pad: 'valid' },
  { label: 'GoogLeNet stem (7×7 s2 pad 3)', x: [1, 20, 20, 3], filter: [7, 7, 3, 8], strides: [2, 2], pad: [[0, 0], [3, 3], [3, 3], [0, 0]] },
  { label: 'GoogLeNet 3×3 same', x: [2, 9, 9, 16], filter: [3, 3, 16, 24], strides: [1, 1], pad: 'same' },
  { label: 'GoogLeNet 1×1', x: [2, 7, 7, 12], filter: [1, 1, 12, 10], strides: [1, 1], pad: 'same' },
  { label: 'pad past the filter', x: [1, 6, 6, 2], filter: [2, 2, 2, 3], strides: [1, 1], pad: 3 },
];

t.test('Conv2DBackpropFilter matches cpu', async (tt) => {
  const forms = new Set<string>();
  for (const c of convCases) {
    const info = tf.backend_util.computeConv2DInfo(c.x, c.filter, c.strides, 1, c.pad);
    forms.add(conv2dBackpropFilterForm(info));
    const dy = host(info.outShape);
    await compareKernel(tt, c.label, 'Conv2DBackpropFilter', { x: host(c.x), dy }, { strides: c.strides, pad: c.pad, dataFormat: 'NHWC', filterShape: c.filter });
  }
  tt.same([...forms].sort(), ['im2col-gemm', 'swapped-conv'], 'both forms were exercised');
});

t.test('Conv2DBackpropInput matches cpu', async (tt) => {
  const forms = new Set<string>();
  for (const c of convCases) {
    const info = tf.backend_util.computeConv2DInfo(c.x, c.filter, c.strides, 1, c.pad);
    forms.add(conv2dBackpropInputForm(info));
    await compareKernel(tt, c.label, 'Conv2DBackpropInput', { dy: host(info.outShape), filter: host(c.filter) }, { strides: c.strides, pad: c.pad, dataFormat: 'NHWC', inputShape: c.x });
  }
  tt.same([...forms].sort(), ['flipped-conv', 'gemm-col2im'], 'both forms were exercised');
});

t.test('batches too big for one patch buffer go through in slices', async (tt) => {
  tf.env().set(PATCH_ELEMENTS_FLAG, 1000);
  try {
    const x: Shape4 = [5, 10, 10, 3];
    const filter: Shape4 = [3, 3, 3, 4];
    const info = tf.backend_util.computeConv2DInfo(x, filter, 2, 1, 'valid');
    const dy = host(info.outShape);
    await compareKernel(tt, 'Conv2DBackpropInput', 'Conv2DBackpropInput', { dy, filter: host(filter) }, { strides: 2, pad: 'valid', dataFormat: 'NHWC', inputShape: x });
    await compareKernel(tt, 'Conv2DBackpropFilter', 'Conv2DBackpropFilter', { x: host(x), dy }, { strides: 2, pad: 'valid', dataFormat: 'NHWC', filterShape: filter });
  } finally {
    tf.env().set(PATCH_ELEMENTS_FLAG, 1 << 24);
  }
});

interface PoolCase { label: string; x: Shape4; filterSize: [number, number]; strides: [number, number]; pad: Pad; quantize?: boolean; negative?: boolean }

function randomPoolCase(i: number): PoolCase {
  const filterSize: [number, number] = [int(1, 4), int(1, 4)];
  const x: Shape4 = [int(1, 4), int(filterSize[0], 13), int(filterSize[1], 13), int(1, 6)];
  const pad = pick(['valid', 'same', 'number'] as const);
  return {
    label: `case ${i}: x ${x} window ${filterSize}`,
    x,
    filterSize,
    strides: [int(1, 3), int(1, 3)],
    pad: pad === 'number' ? int(0, Math.min(...filterSize) - 1) : pad,
  };
}

const poolCases: PoolCase[] = [
  ...Array.from({ length: 12 }, (_, i) => randomPoolCase(i)),
  { label: 'LeNet pool 2 s2', x: [3, 24, 24, 20], filterSize: [2, 2], strides: [2, 2], pad: 'valid' },
  { label: 'AlexNet pool 3 s2', x: [2, 13, 13, 8], filterSize: [3, 3], strides: [2, 2], pad: 'valid' },
  { label: 'GoogLeNet pool 3 s1 same', x: [2, 7, 7, 6], filterSize: [3, 3], strides: [1, 1], pad: 'same' },
  { label: 'ties go to the first pixel', x: [2, 8, 8, 3], filterSize: [3, 3], strides: [1, 1], pad: 'same', quantize: true },
  { label: 'all-negative windows', x: [2, 6, 6, 4], filterSize: [2, 2], strides: [2, 2], pad: 'valid', negative: true },
];

t.test('MaxPoolGrad matches cpu', async (tt) => {
  for (const c of poolCases) {
    const x = host(c.x, c.quantize);
    if (c.negative) x.data.forEach((v, i) => { x.data[i] = -Math.abs(v) - 0.1; });
    const attrs = { filterSize: c.filterSize, strides: c.strides, pad: c.pad };
    const output = await runKernel('cpu', 'MaxPool', { x }, attrs);
    await compareKernel(tt, c.label, 'MaxPoolGrad', { dy: host(output.shape), input: x, output }, attrs);
  }
});

t.test('BatchMatMul matches cpu', async (tt) => {
  const cases = Array.from({ length: 12 }, (_, i) => {
    const [m, k, n] = [int(1, 40), int(1, 40), int(1, 40)];
    const transposeA = i % 2 === 1;
    const transposeB = i % 4 >= 2;
    const batched = i >= 8;
    const lead = batched ? [int(1, 3)] : i % 3 === 0 ? [1] : [];
    return { m, k, n, transposeA, transposeB, lead };
  });
  cases.push({ m: 64, k: 800, n: 500, transposeA: false, transposeB: true, lead: [] }, { m: 800, k: 64, n: 500, transposeA: true, transposeB: false, lead: [] });
  for (const { m, k, n, transposeA, transposeB, lead } of cases) {
    const a = host([...lead, ...(transposeA ? [k, m] : [m, k])]);
    const b = host([...lead, ...(transposeB ? [n, k] : [k, n])]);
    await compareKernel(tt, `a ${a.shape} b ${b.shape} tA ${transposeA} tB ${transposeB}`, 'BatchMatMul', { a, b }, { transposeA, transposeB });
  }
});

t.test('Sum matches cpu', async (tt) => {
  const cases: Array<{ shape: number[]; axis: number | number[]; keepDims: boolean }> = [
    { shape: [64, 24, 24, 20], axis: [0, 1, 2], keepDims: false },
    { shape: [64, 500], axis: 0, keepDims: false },
    { shape: [3, 4, 5], axis: [1, 0], keepDims: true },
    { shape: [3, 4, 5], axis: [0, 2], keepDims: false },
    { shape: [3, 4, 5], axis: -1, keepDims: true },
    { shape: [3, 4, 5], axis: [0, 1, 2], keepDims: false },
    { shape: [7], axis: 0, keepDims: false },
  ];
  for (let i = 0; i < 6; i++) {
    const shape = Array.from({ length: int(2, 4) }, () => int(1, 6));
    cases.push({ shape, axis: Array.from({ length: int(1, shape.length - 1) }, (_, a) => a), keepDims: rand() < 0.5 });
  }
  for (const { shape, axis, keepDims } of cases) {
    await compareKernel(tt, `x ${shape} axis ${axis} keepDims ${keepDims}`, 'Sum', { x: host(shape) }, { axis, keepDims });
  }
});

t.test('gradients of a small conv net match cpu for every weight', async (tt) => {
  const weightShapes: Record<string, number[]> = {
    conv1: [3, 3, 2, 6], bias1: [6], conv2: [5, 5, 6, 8], bias2: [8], dense: [3 * 3 * 8, 5], bias3: [5],
  };
  const weights = Object.fromEntries(Object.entries(weightShapes).map(([name, shape]) => [name, host(shape)]));
  const images = host([4, 15, 15, 2]);
  const labels = Float32Array.from({ length: 4 * 5 }, (_, i) => (i % 5 === i % 4 ? 1 : 0));

  async function gradients(backend: 'cpu' | 'wasm'): Promise<Record<string, HostTensor>> {
    await tf.setBackend(backend);
    const w = Object.fromEntries(Object.entries(weights).map(([name, v]) => [name, tf.tensor(v.data, v.shape)]));
    const x = tf.tensor4d(images.data, images.shape as Shape4);
    const y = tf.tensor2d(labels, [4, 5]);
    const names = Object.keys(w);
    const loss = (...vars: tf.Tensor[]) => {
      const v = Object.fromEntries(names.map((name, i) => [name, vars[i]!]));
      let h = tf.relu(tf.add(tf.conv2d(x, v.conv1 as tf.Tensor4D, 1, 'same'), v.bias1!));
      h = tf.maxPool(h as tf.Tensor4D, 3, 1, 'same');
      h = tf.add(tf.conv2d(h as tf.Tensor4D, v.conv2 as tf.Tensor4D, 2, 'valid'), v.bias2!);
      h = tf.maxPool(h as tf.Tensor4D, 2, 2, 'valid');
      const logits = tf.add(tf.matMul(tf.reshape(h, [4, -1]), v.dense!), v.bias3!);
      return tf.losses.softmaxCrossEntropy(y, logits) as tf.Scalar;
    };
    const grads = tf.grads(loss)(names.map((name) => w[name]!));
    const result = Object.fromEntries(names.map((name, i) => [name, { shape: grads[i]!.shape, data: grads[i]!.dataSync() as Float32Array }]));
    tf.dispose([...grads, ...Object.values(w), x, y]);
    return result;
  }

  const expected = await gradients('cpu');
  await tf.setBackend('wasm');
  const tensorsBefore = tf.memory().numTensors;
  const buffersBefore = tf.backend().numDataIds();
  const actual = await gradients('wasm');
  for (const name of Object.keys(weightShapes)) {
    const error = relativeError(actual[name]!, expected[name]!);
    tt.ok(error <= TOLERANCE, `d loss / d ${name}: relative error ${error.toExponential(2)}`);
  }
  tt.equal(tf.memory().numTensors, tensorsBefore, 'no tensor left behind');
  tt.equal(tf.backend().numDataIds(), buffersBefore, 'no wasm buffer left behind');
});
