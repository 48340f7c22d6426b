/**
 * Caffe's grouped convolution (`group: 2` in AlexNet), which TF.js layers lacks: the input
 * channels and the filters are split into `groups` halves, each half of the filters sees only
 * its half of the input, and the results are concatenated. Parameters: k·k·(Cin/g)·Cout + Cout,
 * exactly Caffe's count.
 */
import { groupConv2d, hasGroupConv } from '../ops/group-conv.ts';
import { tf, tfl } from '../tf.ts';
import { deserializeInitializer, serializeInitializer, type Initializer } from './init.ts';
import type { LayerArgs } from './types.ts';

/** Constructor arguments of {@link GroupConv2D}. */
export interface GroupConv2DArgs extends LayerArgs {
  filters: number;
  kernelSize: number;
  strides?: number;
  /** TF padding mode; 'same' at stride 1 with an odd kernel equals Caffe's pad (k−1)/2. */
  padding?: 'same' | 'valid';
  groups: number;
  activation?: 'relu' | 'linear';
  kernelInitializer?: Initializer | tf.serialization.ConfigDict;
  biasInitializer?: Initializer | tf.serialization.ConfigDict;
}

/** 2-D convolution with Caffe's channel groups; weights `kernel` [k, k, Cin/g, Cout] and `bias`. */
export class GroupConv2D extends tfl.layers.Layer {
  static className = 'GroupConv2D';
  readonly filters: number;
  readonly kernelSize: number;
  readonly strides: number;
  readonly padding: 'same' | 'valid';
  readonly groups: number;
  readonly activation: 'relu' | 'linear';
  private readonly kernelInitializer: Initializer;
  private readonly biasInitializer: Initializer;
  private kernel: tfl.LayerVariable | null = null;
  private bias: tfl.LayerVariable | null = null;

  constructor(args: GroupConv2DArgs) {
    super(args);
    this.filters = args.filters;
    this.kernelSize = args.kernelSize;
    this.strides = args.strides ?? 1;
    this.padding = args.padding ?? 'valid';
    this.groups = args.groups;
    this.activation = args.activation ?? 'linear';
    this.kernelInitializer = deserializeInitializer(args.kernelInitializer, tfl.initializers.glorotUniform({}));
    this.biasInitializer = deserializeInitializer(args.biasInitializer, tfl.initializers.zeros());
    if (!Number.isInteger(this.groups) || this.groups < 1 || this.filters % this.groups !== 0) {
      throw new Error(`Expected groups dividing ${this.filters} filters but received ${this.groups}`);
    }
  }

  override build(inputShape: tfl.Shape | tfl.Shape[]): void {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tfl.Shape;
    const channels = shape[3];
    if (typeof channels !== 'number' || channels % this.groups !== 0) {
      throw new Error(`Expected input channels divisible by ${this.groups} groups but received ${channels}`);
    }
    const k = this.kernelSize;
    this.kernel = this.addWeight('kernel', [k, k, channels / this.groups, this.filters], 'float32', this.kernelInitializer);
    this.bias = this.addWeight('bias', [this.filters], 'float32', this.biasInitializer);
    this.built = true;
  }

  override computeOutputShape(inputShape: tfl.Shape | tfl.Shape[]): tfl.Shape {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tfl.Shape;
    const out = (n: number | null): number | null => {
      if (n === null) return null;
      return this.padding === 'same' ? Math.ceil(n / this.strides) : Math.floor((n - this.kernelSize) / this.strides) + 1;
    };
    return [shape[0] ?? null, out(shape[1] ?? null), out(shape[2] ?? null), this.filters];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor4D;
      if (!this.kernel || !this.bias) throw new Error(`Expected layer ${this.name} to be built before it is called`);
      const kernel = this.kernel.read() as tf.Tensor4D;
      if (hasGroupConv() && this.groups > 1) {
        const y = tf.add(groupConv2d(x, kernel, { strides: this.strides, pad: this.padding, groups: this.groups }), this.bias.read());
        return this.activation === 'relu' ? tf.relu(y) : y;
      }
      const xs = tf.split(x, this.groups, 3);
      const ws = tf.split(kernel, this.groups, 3);
      const bs = tf.split(this.bias.read(), this.groups, 0);
      const ys = xs.map((xg, g) => tf.fused.conv2d({
        x: xg as tf.Tensor4D, filter: ws[g] as tf.Tensor4D, strides: this.strides, pad: this.padding, bias: bs[g]!,
        activation: this.activation,
      }));
      return ys.length === 1 ? ys[0]! : tf.concat(ys, 3);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {
      ...super.getConfig(),
      filters: this.filters,
      kernelSize: this.kernelSize,
      strides: this.strides,
      padding: this.padding,
      groups: this.groups,
      activation: this.activation,
      kernelInitializer: serializeInitializer(this.kernelInitializer),
      biasInitializer: serializeInitializer(this.biasInitializer),
    };
  }
}

tf.serialization.registerClass(GroupConv2D);
