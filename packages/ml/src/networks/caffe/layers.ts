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

tf.serialization.registerClass(CaffeScale);
tf.serialization.registerClass(CaffePower);
tf.serialization.registerClass(CaffeEltwise);
tf.serialization.registerClass(CaffeBatchNorm);
