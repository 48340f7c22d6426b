// Shared by the Caffe network tests (caffe-network, caffe-layers): probes built from prototxt
// snippets on the wasm backend, plain-array references of convolution and pooling, and a subtest
// that must leave no tensors behind.
import t, { type Test } from 'tap';
import { initBackend, tf } from '../../packages/ml/src/tf.ts';
import type { BuiltNetwork } from '../../packages/ml/src/networks/index.ts';
import { buildCaffeNetwork } from '../../packages/ml/src/networks/caffe/index.ts';

// wasm (with the project's training kernels): the cpu backend's convolution gradients take seconds per LeNet step.
await initBackend('wasm');
const baseline = tf.memory().numTensors;


/** A subtest that must leave no tensors behind. */
export function test(name: string, body: (t: Test) => Promise<void>): void {
  t.test(name, async (t) => {
    await body(t);
    t.equal(tf.memory().numTensors, baseline, 'no tensors leak');
  });
}

export type Img = number[][][];
export type Shape3 = [number, number, number];
export type Pair = [number, number];

/** A net fed by a Data layer ("data", "label") whose EuclideanLoss reads `out`, so deploy outputs `out` as is. */
export function probe(body: string, out: string, inputShape: Shape3, seed = 7): BuiltNetwork {
  const text = `layer { name: "data" type: "Data" top: "data" top: "label" }\n${body}\n`
    + `layer { name: "loss" type: "EuclideanLoss" bottom: "${out}" bottom: "label" top: "loss" }`;
  return buildCaffeNetwork(text, { inputShape, classes: null, seed });
}

/** Deploy output for one random (seeded) image, and that image. */
export function forward(net: BuiltNetwork, shape: Shape3, seed = 3): { x: Img; y: Img } {
  return tf.tidy(() => {
    const x = tf.randomUniform([1, ...shape], -1, 1, 'float32', seed);
    const y = net.deploy.predict(x) as tf.Tensor;
    return { x: (x.arraySync() as Img[])[0]!, y: (y.arraySync() as Img[])[0]! };
  });
}

export function flat(v: unknown): number[] {
  return Array.isArray(v) ? v.flatMap(flat) : [v as number];
}

export function close(t: Test, actual: unknown, expected: unknown, message: string, tol = 1e-4): void {
  const [a, e] = [flat(actual), flat(expected)];
  const worst = a.length === e.length ? Math.max(0, ...a.map((v, i) => Math.abs(v - e[i]!))) : Infinity;
  t.ok(worst <= tol, `${message} (max error ${worst})`);
}

export function weightsOf(net: BuiltNetwork, layer: string): unknown[] {
  return net.model.getLayer(layer).getWeights().map((w) => w.arraySync());
}

/** Caffe convolution on an HWC image with an HWIO kernel (I = input channels per group). */
export function convRef(x: Img, k: number[][][][], bias: number[] | null, [sh, sw]: Pair, [ph, pw]: Pair, [dh, dw]: Pair = [1, 1], group = 1): Img {
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
export function poolRef(x: Img, pool: 'max' | 'ave', k: number, s: number, p: number): Img {
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

export const mapImg = (x: Img, f: (v: number) => number): Img => x.map((r) => r.map((p) => p.map(f)));
export const dispose = (net: BuiltNetwork) => net.model.dispose();
