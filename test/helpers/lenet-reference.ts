/**
 * A LeNet with known weights for Caffe-import tests: the weights, a `.caffemodel` of them
 * (test/helpers/caffemodel-writer.ts), the deploy.prototxt DIGITS users bring, and the float64
 * reference forward pass in Caffe's own layouts (N×C×H×W maps, [out, in, kh, kw] kernels).
 */
import { createRandom } from '@digits-ts/dataset';
import { writeCaffeModel, type TestBlob } from './caffemodel-writer.ts';

export type Blob = { shape: number[]; data: Float64Array };

/** Uniform ±`bound` values, rounded to float32 so the reference uses exactly the stored weights. */
export function blob(shape: number[], bound: number, seed: number): Blob {
  const random = createRandom(seed);
  const n = shape.reduce((a, d) => a * d, 1);
  return { shape, data: Float64Array.from(Float32Array.from({ length: n }, () => (random() * 2 - 1) * bound)) };
}

export type LenetLayer = [string, string, Blob, Blob];

export const LENET: LenetLayer[] = [
  ['conv1', 'Convolution', blob([20, 1, 5, 5], 0.4, 1), blob([20], 0.1, 2)],
  ['conv2', 'Convolution', blob([50, 20, 5, 5], 0.06, 3), blob([50], 0.1, 4)],
  ['ip1', 'InnerProduct', blob([500, 800], 0.05, 5), blob([500], 0.1, 6)],
  ['ip2', 'InnerProduct', blob([10, 500], 0.15, 7), blob([10], 0.1, 8)],
];
export const W = Object.fromEntries(LENET.map(([name, , w, b]) => [name, { w, b }]));
export const toTest = (b: Blob): TestBlob => ({ shape: b.shape, data: b.data });

/** The `.caffemodel` bytes of `layers` (LeNet's by default), as Caffe writes a snapshot. */
export const lenetFile = (layers = LENET) => writeCaffeModel('LeNet', [
  { name: 'data', type: 'Input' }, { name: 'scale', type: 'Power' },
  ...layers.map(([name, type, w, b]) => ({ name, type, blobs: [toTest(w), toTest(b)] })),
  { name: 'loss', type: 'SoftmaxWithLoss' },
]);

/**
 * DIGITS' LeNet as a deploy.prototxt: a top-level `input` with `input_shape` (or, with
 * `inputLayer`, an Input layer), no data or loss layers, a Softmax `prob` at the end.
 */
export function lenetDeployPrototxt(inputLayer = false): string {
  const input = inputLayer
    ? 'layer { name: "data" type: "Input" top: "data" input_param { shape { dim: 1 dim: 1 dim: 28 dim: 28 } } }'
    : 'input: "data"\ninput_shape { dim: 1 dim: 1 dim: 28 dim: 28 }';
  return `name: "LeNet"
${input}
layer { name: "scale" type: "Power" bottom: "data" top: "scaled" power_param { scale: 0.0125 } }
layer { name: "conv1" type: "Convolution" bottom: "scaled" top: "conv1" convolution_param { num_output: 20 kernel_size: 5 stride: 1 } }
layer { name: "pool1" type: "Pooling" bottom: "conv1" top: "pool1" pooling_param { pool: MAX kernel_size: 2 stride: 2 } }
layer { name: "conv2" type: "Convolution" bottom: "pool1" top: "conv2" convolution_param { num_output: 50 kernel_size: 5 stride: 1 } }
layer { name: "pool2" type: "Pooling" bottom: "conv2" top: "pool2" pooling_param { pool: MAX kernel_size: 2 stride: 2 } }
layer { name: "ip1" type: "InnerProduct" bottom: "pool2" top: "ip1" inner_product_param { num_output: 500 } }
layer { name: "relu1" type: "ReLU" bottom: "ip1" top: "ip1" }
layer { name: "ip2" type: "InnerProduct" bottom: "ip1" top: "ip2" inner_product_param { num_output: 10 } }
layer { name: "prob" type: "Softmax" bottom: "ip2" top: "prob" }
`;
}

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
export function lenetRef(pixels: Uint8Array, hwcFlatten = false): number[] {
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
