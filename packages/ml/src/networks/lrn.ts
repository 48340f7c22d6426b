/**
 * Caffe's `LRN` layer (ACROSS_CHANNELS), which TF.js layers lacks:
 * b = a / (k + α/n · Σ a²)^β over the n channels centred on each one.
 */
import { tf, tfl } from '../tf.ts';
import type { LayerArgs } from './types.ts';

/** Constructor arguments of {@link LRN}; defaults are Caffe's and AlexNet's. */
export interface LRNArgs extends LayerArgs {
  /** Caffe `local_size`: channels in the window (odd). Default 5. */
  size?: number;
  /** Caffe `alpha`, before Caffe divides it by `size`. Default 1e-4. */
  alpha?: number;
  /** Caffe `beta`. Default 0.75. */
  beta?: number;
  /** Caffe `k`. Default 1. */
  k?: number;
}

/** Across-channel local response normalisation with Caffe's parameterisation. */
export class LRN extends tfl.layers.Layer {
  static className = 'LRN';
  readonly size: number;
  readonly alpha: number;
  readonly beta: number;
  readonly k: number;

  constructor(args: LRNArgs = {}) {
    super(args);
    this.size = args.size ?? 5;
    this.alpha = args.alpha ?? 1e-4;
    this.beta = args.beta ?? 0.75;
    this.k = args.k ?? 1;
    if (!Number.isInteger(this.size) || this.size < 1 || this.size % 2 === 0) {
      throw new Error(`Expected an odd positive LRN size but received ${this.size}`);
    }
  }

  override computeOutputShape(inputShape: tfl.Shape | tfl.Shape[]): tfl.Shape | tfl.Shape[] {
    return inputShape;
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const x = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor4D;
    // TF's depth_radius is the half-width and its alpha is not divided by the window size.
    return tf.localResponseNormalization(x, (this.size - 1) / 2, this.k, this.alpha / this.size, this.beta);
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), size: this.size, alpha: this.alpha, beta: this.beta, k: this.k };
  }
}

tf.serialization.registerClass(LRN);
