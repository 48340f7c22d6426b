/**
 * Caffe layers TF.js layers lacks, on NHWC tensors (Caffe's channel axis 1 is our last axis).
 * Each is registered for serialisation: training threads rebuild the graph from `model.toJSON()`
 * and snapshots reload through `tfl.models.modelFromJSON`.
 */
import { tf, tfl } from '../../tf.ts';
import { deserializeInitializer, serializeInitializer, type Initializer } from '../init.ts';
import type { LayerArgs } from '../types.ts';

function one(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
  return Array.isArray(inputs) ? inputs[0]! : inputs;
}

function oneShape(inputShape: tfl.Shape | tfl.Shape[]): tfl.Shape {
  return (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tfl.Shape;
}

/** Channels (last axis) of an input shape; throws when unknown. */
function channelsOf(layer: string, inputShape: tfl.Shape | tfl.Shape[]): number {
  const shape = oneShape(inputShape);
  const channels = shape[shape.length - 1];
  if (typeof channels !== 'number') throw new Error(`Expected a known channel count for layer ${layer} but received ${JSON.stringify(shape)}`);
  return channels;
}

/** Broadcasts a per-channel vector against an input of rank `rank`. */
function perChannel(v: tf.Tensor, rank: number): tf.Tensor {
  return rank === 1 ? v : tf.reshape(v, [...new Array<number>(rank - 1).fill(1), -1]);
}

/** Constructor arguments of {@link CaffeScale}. */
export interface CaffeScaleArgs extends LayerArgs {
  /** Caffe `scale_param.bias_term`. Default false. */
  biasTerm?: boolean;
  scaleInitializer?: Initializer | tf.serialization.ConfigDict;
  biasInitializer?: Initializer | tf.serialization.ConfigDict;
}

/** Caffe `Scale` with one bottom: a learned per-channel multiplier (`gamma`) and optional `beta`. */
export class CaffeScale extends tfl.layers.Layer {
  static className = 'CaffeScale';
  readonly biasTerm: boolean;
  private readonly scaleInitializer: Initializer;
  private readonly biasInitializer: Initializer;
  private gamma: tfl.LayerVariable | null = null;
  private beta: tfl.LayerVariable | null = null;

  constructor(args: CaffeScaleArgs = {}) {
    super(args);
    this.biasTerm = args.biasTerm ?? false;
    this.scaleInitializer = deserializeInitializer(args.scaleInitializer, tfl.initializers.ones());
    this.biasInitializer = deserializeInitializer(args.biasInitializer, tfl.initializers.zeros());
  }

  override build(inputShape: tfl.Shape | tfl.Shape[]): void {
    const c = channelsOf(this.name, inputShape);
    this.gamma = this.addWeight('gamma', [c], 'float32', this.scaleInitializer);
    if (this.biasTerm) this.beta = this.addWeight('beta', [c], 'float32', this.biasInitializer);
    this.built = true;
  }

  override computeOutputShape(inputShape: tfl.Shape | tfl.Shape[]): tfl.Shape {
    return oneShape(inputShape);
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = one(inputs);
      if (!this.gamma) throw new Error(`Expected layer ${this.name} to be built before it is called`);
      const y = tf.mul(x, perChannel(this.gamma.read(), x.rank));
      return this.beta ? tf.add(y, perChannel(this.beta.read(), x.rank)) : y;
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {
      ...super.getConfig(),
      biasTerm: this.biasTerm,
      scaleInitializer: serializeInitializer(this.scaleInitializer),
      biasInitializer: serializeInitializer(this.biasInitializer),
    };
  }
}

/** Constructor arguments of {@link CaffePower}; defaults are Caffe's (identity). */
export interface CaffePowerArgs extends LayerArgs {
  power?: number;
  scale?: number;
  shift?: number;
}

/** Caffe `Power`: y = (shift + scale · x)^power. */
export class CaffePower extends tfl.layers.Layer {
  static className = 'CaffePower';
  readonly power: number;
  readonly scale: number;
  readonly shift: number;

  constructor(args: CaffePowerArgs = {}) {
    super(args);
    this.power = args.power ?? 1;
    this.scale = args.scale ?? 1;
    this.shift = args.shift ?? 0;
  }

  override computeOutputShape(inputShape: tfl.Shape | tfl.Shape[]): tfl.Shape {
    return oneShape(inputShape);
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const base = tf.add(tf.mul(one(inputs), this.scale), this.shift);
      return this.power === 1 ? base : tf.pow(base, this.power);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), power: this.power, scale: this.scale, shift: this.shift };
  }
}

/** Caffe `Eltwise` operations. */
export type EltwiseOperation = 'sum' | 'prod' | 'max';

/** Constructor arguments of {@link CaffeEltwise}. */
export interface CaffeEltwiseArgs extends LayerArgs {
  operation: EltwiseOperation;
  /** Per-input coefficients of a sum (Caffe `coeff`); default all 1. */
  coeffs?: number[];
}

/** Caffe `Eltwise` over same-shaped inputs; used for sums with coefficients (stock layers otherwise). */
export class CaffeEltwise extends tfl.layers.Layer {
  static className = 'CaffeEltwise';
  readonly operation: EltwiseOperation;
  readonly coeffs: number[] | null;

  constructor(args: CaffeEltwiseArgs) {
    super(args);
    this.operation = args.operation;
    this.coeffs = args.coeffs && args.coeffs.length > 0 ? [...args.coeffs] : null;
    if (this.coeffs && this.operation !== 'sum') throw new Error(`Expected coefficients only for a sum but received them for ${this.operation}`);
  }

  override computeOutputShape(inputShape: tfl.Shape | tfl.Shape[]): tfl.Shape {
    const shapes = (Array.isArray(inputShape[0]) ? inputShape : [inputShape]) as tfl.Shape[];
    const first = JSON.stringify(shapes[0]!.slice(1));
    if (shapes.some((s) => JSON.stringify(s.slice(1)) !== first)) {
      throw new Error(`Expected inputs of one shape but received ${shapes.map((s) => JSON.stringify(s)).join(', ')}`);
    }
    if (this.coeffs && this.coeffs.length !== shapes.length) {
      throw new Error(`Expected one coefficient per input (${shapes.length}) but received ${this.coeffs.length}`);
    }
    return shapes[0]!;
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const xs = Array.isArray(inputs) ? inputs : [inputs];
      if (this.operation === 'prod') return xs.slice(1).reduce((a, b) => tf.mul(a, b), xs[0]!);
      if (this.operation === 'max') return xs.slice(1).reduce((a, b) => tf.maximum(a, b), xs[0]!);
      const terms = this.coeffs ? xs.map((x, i) => tf.mul(x, this.coeffs![i]!)) : xs;
      return terms.length === 1 ? terms[0]! : tf.addN(terms);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), operation: this.operation, coeffs: this.coeffs };
  }
}

/** Constructor arguments of {@link CaffeBatchNorm}. */
export interface CaffeBatchNormArgs extends LayerArgs {
  /** Caffe `use_global_stats`; unset → batch statistics when training, stored ones otherwise. */
  useGlobalStats?: boolean | null;
  /** Caffe `moving_average_fraction`. Default 0.999. */
  movingAverageFraction?: number;
  /** Caffe `eps`. Default 1e-5. */
  eps?: number;
  /** Learned per-channel multiplier `gamma` (a fused Caffe Scale layer). Default false. */
  scale?: boolean;
  /** Learned per-channel offset `beta` (the fused Scale's bias term). Default false. */
  center?: boolean;
  gammaInitializer?: Initializer | tf.serialization.ConfigDict;
  betaInitializer?: Initializer | tf.serialization.ConfigDict;
}

/**
 * Caffe `BatchNorm` (optionally fused with the `Scale` after it). Keeps Caffe's three statistics
 * blobs — `mean` and `variance` accumulators and their `scale_factor` — and Caffe's update:
 * acc ← fraction·acc + batch value (variance with the m/(m−1) correction), factor ← fraction·factor + 1,
 * global statistic = acc / factor. (TF.js' BatchNormalization also breaks in training without gamma/beta.)
 */
export class CaffeBatchNorm extends tfl.layers.Layer {
  static className = 'CaffeBatchNorm';
  readonly useGlobalStats: boolean | null;
  readonly movingAverageFraction: number;
  readonly eps: number;
  readonly scale: boolean;
  readonly center: boolean;
  private readonly gammaInitializer: Initializer;
  private readonly betaInitializer: Initializer;
  private mean: tfl.LayerVariable | null = null;
  private variance: tfl.LayerVariable | null = null;
  private factor: tfl.LayerVariable | null = null;
  private gamma: tfl.LayerVariable | null = null;
  private beta: tfl.LayerVariable | null = null;

  constructor(args: CaffeBatchNormArgs = {}) {
    super(args);
    this.useGlobalStats = args.useGlobalStats ?? null;
    this.movingAverageFraction = args.movingAverageFraction ?? 0.999;
    this.eps = args.eps ?? 1e-5;
    this.scale = args.scale ?? false;
    this.center = args.center ?? false;
    this.gammaInitializer = deserializeInitializer(args.gammaInitializer, tfl.initializers.ones());
    this.betaInitializer = deserializeInitializer(args.betaInitializer, tfl.initializers.zeros());
  }

  override build(inputShape: tfl.Shape | tfl.Shape[]): void {
    const c = channelsOf(this.name, inputShape);
    const zeros = tfl.initializers.zeros();
    this.mean = this.addWeight('mean', [c], 'float32', zeros, undefined, false);
    this.variance = this.addWeight('variance', [c], 'float32', zeros, undefined, false);
    this.factor = this.addWeight('scale_factor', [1], 'float32', zeros, undefined, false);
    if (this.scale) this.gamma = this.addWeight('gamma', [c], 'float32', this.gammaInitializer);
    if (this.center) this.beta = this.addWeight('beta', [c], 'float32', this.betaInitializer);
    this.built = true;
  }

  override computeOutputShape(inputShape: tfl.Shape | tfl.Shape[]): tfl.Shape {
    return oneShape(inputShape);
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown>): tf.Tensor {
    return tf.tidy(() => {
      const x = one(inputs);
      if (!this.mean || !this.variance || !this.factor) throw new Error(`Expected layer ${this.name} to be built before it is called`);
      const training = this.useGlobalStats === null ? kwargs.training === true : !this.useGlobalStats;
      const axes = Array.from({ length: x.rank - 1 }, (_, i) => i);
      let mean: tf.Tensor;
      let variance: tf.Tensor;
      if (training) {
        ({ mean, variance } = tf.moments(x, axes));
        this.accumulate(mean, variance, x.size / x.shape[x.rank - 1]!);
      } else {
        // Caffe: a zero factor (never trained) means statistics of zero.
        const inverse = tf.tidy(() => tf.divNoNan(tf.onesLike(this.factor!.read()), this.factor!.read()));
        mean = tf.mul(this.mean.read(), inverse);
        variance = tf.mul(this.variance.read(), inverse);
      }
      const rank = x.rank;
      const gamma = this.gamma ? perChannel(this.gamma.read(), rank) : undefined;
      const beta = this.beta ? perChannel(this.beta.read(), rank) : undefined;
      return tf.batchNorm(x, perChannel(mean, rank), perChannel(variance, rank), beta, gamma, this.eps);
    });
  }

  /** Caffe's running sums of batch statistics. */
  private accumulate(mean: tf.Tensor, variance: tf.Tensor, count: number): void {
    const f = this.movingAverageFraction;
    const correction = count > 1 ? count / (count - 1) : 1;
    tf.tidy(() => {
      this.mean!.write(tf.add(tf.mul(this.mean!.read(), f), mean));
      this.variance!.write(tf.add(tf.mul(this.variance!.read(), f), tf.mul(variance, correction)));
      this.factor!.write(tf.add(tf.mul(this.factor!.read(), f), 1));
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {
      ...super.getConfig(),
      useGlobalStats: this.useGlobalStats,
      movingAverageFraction: this.movingAverageFraction,
      eps: this.eps,
      scale: this.scale,
      center: this.center,
      gammaInitializer: serializeInitializer(this.gammaInitializer),
      betaInitializer: serializeInitializer(this.betaInitializer),
    };
  }
}

/**
 * Caffe's bilinear filler for a kh×kw kernel, the same in every (input, output) channel slice:
 * f = ⌈kw/2⌉, c = (kw − 1)/(2f), w(y, x) = (1 − |x/f − c|)(1 − |y/f − c|) — upsampling by f
 * when the deconvolution has stride f and kernel 2f − f mod 2.
 */
export function bilinearKernel(kh: number, kw: number): Float32Array {
  const f = Math.ceil(kw / 2);
  const c = (kw - 1) / (2 * f);
  const out = new Float32Array(kh * kw);
  for (let y = 0; y < kh; y++) {
    for (let x = 0; x < kw; x++) out[y * kw + x] = (1 - Math.abs(x / f - c)) * (1 - Math.abs(y / f - c));
  }
  return out;
}

/** Up to this many groups a grouped Deconvolution runs as one block-diagonal op (group× the arithmetic, far fewer kernels). */
const BLOCK_DIAGONAL_MAX_GROUPS = 32;

/** Constructor arguments of {@link CaffeDeconvolution}. */
export interface CaffeDeconvolutionArgs extends LayerArgs {
  filters: number;
  kernelSize: [number, number];
  strides: [number, number];
  pad: [number, number];
  group?: number;
  useBias?: boolean;
  /** Fill the kernel with Caffe's bilinear filler (FCN's fixed upsampling). */
  bilinear?: boolean;
  kernelInitializer?: Initializer | tf.serialization.ConfigDict;
  biasInitializer?: Initializer | tf.serialization.ConfigDict;
}

/**
 * Caffe `Deconvolution`: the transposed convolution, each input pixel spreading its kernel over
 * the output (stride s), then `pad` rows and columns cut from each side: out = s·(in − 1) + k − 2·pad.
 * The kernel is [kh, kw, C_out/group, C_in] (Caffe's C_in × C_out/group × kh × kw blob); group g
 * maps input channels g·C_in/group… to output channels g·C_out/group….
 */
export class CaffeDeconvolution extends tfl.layers.Layer {
  static className = 'CaffeDeconvolution';
  readonly filters: number;
  readonly kernelSize: [number, number];
  readonly strides: [number, number];
  readonly pad: [number, number];
  readonly group: number;
  readonly useBias: boolean;
  readonly bilinear: boolean;
  private readonly kernelInitializer: Initializer;
  private readonly biasInitializer: Initializer;
  private kernel: tfl.LayerVariable | null = null;
  private bias: tfl.LayerVariable | null = null;

  constructor(args: CaffeDeconvolutionArgs) {
    super(args);
    this.filters = args.filters;
    this.kernelSize = [...args.kernelSize];
    this.strides = [...args.strides];
    this.pad = [...args.pad];
    this.group = args.group ?? 1;
    this.useBias = args.useBias ?? true;
    this.bilinear = args.bilinear ?? false;
    this.kernelInitializer = deserializeInitializer(args.kernelInitializer, tfl.initializers.zeros());
    this.biasInitializer = deserializeInitializer(args.biasInitializer, tfl.initializers.zeros());
  }

  override build(inputShape: tfl.Shape | tfl.Shape[]): void {
    const cin = channelsOf(this.name, inputShape);
    const [kh, kw] = this.kernelSize;
    if (cin % this.group !== 0 || this.filters % this.group !== 0) throw new Error(`Expected input channels (${cin}) and filters (${this.filters}) divisible by group ${this.group}`);
    const shape = [kh, kw, this.filters / this.group, cin];
    this.kernel = this.addWeight('kernel', shape, 'float32', this.bilinear ? tfl.initializers.zeros() : this.kernelInitializer);
    if (this.bilinear) {
      const slice = bilinearKernel(kh, kw);
      const per = shape[2]! * shape[3]!;
      const values = new Float32Array(kh * kw * per);
      for (let i = 0; i < kh * kw; i++) values.fill(slice[i]!, i * per, (i + 1) * per);
      tf.tidy(() => { this.kernel!.write(tf.tensor4d(values, shape as [number, number, number, number])); });
    }
    if (this.useBias) this.bias = this.addWeight('bias', [this.filters], 'float32', this.biasInitializer);
    this.built = true;
  }

  private outSize(size: number | null, axis: 0 | 1): number | null {
    return size === null ? null : this.strides[axis] * (size - 1) + this.kernelSize[axis] - 2 * this.pad[axis];
  }

  override computeOutputShape(inputShape: tfl.Shape | tfl.Shape[]): tfl.Shape {
    const [n, h, w] = oneShape(inputShape);
    return [n!, this.outSize(h ?? null, 0), this.outSize(w ?? null, 1), this.filters];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = one(inputs) as tf.Tensor4D;
      if (!this.kernel) throw new Error(`Expected layer ${this.name} to be built before it is called`);
      const [n, h, w, cin] = x.shape;
      const [kh, kw] = this.kernelSize;
      const [sh, sw] = this.strides;
      const [fullH, fullW] = [sh * (h - 1) + kh, sw * (w - 1) + kw];
      const kernel = this.kernel.read() as tf.Tensor4D;
      const [inPer, outPer] = [cin / this.group, this.filters / this.group];
      let y: tf.Tensor4D;
      if (this.group === 1) y = tf.conv2dTranspose(x, kernel, [n, fullH, fullW, outPer], [sh, sw], 'valid');
      else if (this.group <= BLOCK_DIAGONAL_MAX_GROUPS) {
        // one transposed convolution with a block-diagonal kernel: fewer ops than one per group (FCN's upsampling)
        const mask = tf.tensor2d(Float32Array.from({ length: this.filters * cin }, (_, k) => (Math.floor(Math.floor(k / cin) / outPer) === Math.floor((k % cin) / inPer) ? 1 : 0)), [this.filters, cin]);
        y = tf.conv2dTranspose(x, tf.mul(tf.tile(kernel, [1, 1, this.group, 1]), mask) as tf.Tensor4D, [n, fullH, fullW, this.filters], [sh, sw], 'valid');
      } else {
        const parts: tf.Tensor4D[] = [];
        for (let g = 0; g < this.group; g++) {
          const kg = tf.slice(kernel, [0, 0, 0, g * inPer], [-1, -1, -1, inPer]);
          parts.push(tf.conv2dTranspose(tf.slice(x, [0, 0, 0, g * inPer], [-1, -1, -1, inPer]), kg, [n, fullH, fullW, outPer], [sh, sw], 'valid'));
        }
        y = tf.concat(parts, 3);
      }
      const [ph, pw] = this.pad;
      if (ph > 0 || pw > 0) y = tf.slice(y, [0, ph, pw, 0], [-1, fullH - 2 * ph, fullW - 2 * pw, -1]);
      return this.bias ? tf.add(y, this.bias.read()) : y;
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {
      ...super.getConfig(),
      filters: this.filters, kernelSize: this.kernelSize, strides: this.strides, pad: this.pad, group: this.group,
      useBias: this.useBias, bilinear: this.bilinear,
      kernelInitializer: serializeInitializer(this.kernelInitializer),
      biasInitializer: serializeInitializer(this.biasInitializer),
    };
  }
}

/** Constructor arguments of {@link CaffeCrop}: where the crop starts and its size, per NHWC axis 1–3 (null: that axis is kept). */
export interface CaffeCropArgs extends LayerArgs {
  /** Start of the crop on [H, W, C]. */
  offsets: [number, number, number];
  /** Size on [H, W, C]; null keeps the first bottom's size. */
  sizes: [number | null, number | null, number | null];
}

/**
 * Caffe `Crop`: the first bottom cut to the second bottom's size on every axis from `axis` on,
 * starting at `offset`. The second bottom only gives the size; it gets no gradient.
 */
export class CaffeCrop extends tfl.layers.Layer {
  static className = 'CaffeCrop';
  readonly offsets: [number, number, number];
  readonly sizes: [number | null, number | null, number | null];

  constructor(args: CaffeCropArgs) {
    super(args);
    this.offsets = [...args.offsets];
    this.sizes = [...args.sizes];
  }

  override computeOutputShape(inputShape: tfl.Shape | tfl.Shape[]): tfl.Shape {
    const shape = oneShape(inputShape);
    return [shape[0]!, ...this.sizes.map((s, i) => s ?? shape[i + 1]!)] as tfl.Shape;
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = one(inputs);
      return tf.slice(x, [0, ...this.offsets], [-1, ...this.sizes.map((s) => s ?? -1)]);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), offsets: this.offsets, sizes: this.sizes };
  }
}

tf.serialization.registerClass(CaffeScale);
tf.serialization.registerClass(CaffePower);
tf.serialization.registerClass(CaffeEltwise);
tf.serialization.registerClass(CaffeBatchNorm);
tf.serialization.registerClass(CaffeDeconvolution);
tf.serialization.registerClass(CaffeCrop);
