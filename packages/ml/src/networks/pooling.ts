/**
 * Caffe pooling semantics on TF.js. Caffe rounds output sizes up (a last partial window still
 * counts), clips windows at the border, and divides average pools by the window size clipped to
 * the padded input. `caffePooling` returns a stock TF.js pooling layer when 'valid' or 'same'
 * reproduces that exactly for the given input (most of the time), else a `CaffePooling2D`.
 */
import { tf, tfl } from '../tf.ts';
import { poolOutSize } from './geometry.ts';
import type { LayerArgs } from './types.ts';

/** Caffe pooling parameters (square windows). */
export interface CaffePoolParams {
  pool: 'max' | 'ave';
  kernelSize: number;
  stride: number;
  pad?: number;
}

/** Constructor arguments of {@link CaffePooling2D}. */
export interface CaffePooling2DArgs extends LayerArgs, CaffePoolParams {}

/**
 * Pooling with Caffe's exact output size and window placement: pads `pad` in front and as
 * much as the last (partial) window needs behind (−∞ for max, 0 for average), pools 'valid',
 * and rescales average pools to Caffe's divisor.
 */
export class CaffePooling2D extends tfl.layers.Layer {
  static className = 'CaffePooling2D';
  readonly pool: 'max' | 'ave';
  readonly kernelSize: number;
  readonly stride: number;
  readonly pad: number;

  constructor(args: CaffePooling2DArgs) {
    super(args);
    this.pool = args.pool;
    this.kernelSize = args.kernelSize;
    this.stride = args.stride;
    this.pad = args.pad ?? 0;
    if (this.pad >= this.kernelSize) {
      throw new Error(`Expected pooling pad below the kernel size ${this.kernelSize} but received ${this.pad}`);
    }
  }

  private outSize(n: number): number {
    return poolOutSize(n, this.kernelSize, this.stride, this.pad);
  }

  override computeOutputShape(inputShape: tfl.Shape | tfl.Shape[]): tfl.Shape {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tfl.Shape;
    const out = (n: number | null | undefined): number | null => (typeof n === 'number' ? this.outSize(n) : null);
    return [shape[0] ?? null, out(shape[1]), out(shape[2]), shape[3] ?? null];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor4D;
      const [, h, w] = x.shape;
      const [oh, ow] = [this.outSize(h), this.outSize(w)];
      const { kernelSize: k, stride: s, pad: p } = this;
      // Caffe's window i spans [i·s − p, i·s − p + k); pad behind up to the last window's end.
      const behind = (n: number, out: number): number => Math.max(0, (out - 1) * s + k - p - n);
      const paddings: [number, number][] = [[0, 0], [p, behind(h, oh)], [p, behind(w, ow)], [0, 0]];
      const padded = tf.pad(x, paddings, this.pool === 'max' ? -Infinity : 0);
      const pooled = this.pool === 'max' ? tf.maxPool(padded, k, s, 'valid') : tf.avgPool(padded, k, s, 'valid');
      // The clip rule can leave one window fewer than 'valid' finds.
      const y = tf.slice(pooled, [0, 0, 0, 0], [-1, oh, ow, -1]);
      return this.pool === 'max' ? y : tf.mul(y, this.divisorScale(h, w, oh, ow));
    });
  }

  /** k² / Caffe's divisor per output cell: windows are clipped to the padded input, not to k. */
  private divisorScale(h: number, w: number, oh: number, ow: number): tf.Tensor4D {
    const { kernelSize: k, stride: s, pad: p } = this;
    const axis = (n: number, out: number): number[] => Array.from({ length: out }, (_, i) => {
      const start = i * s - p;
      return k / (Math.min(start + k, n + p) - start);
    });
    const rows = tf.tensor2d(axis(h, oh), [oh, 1]);
    const cols = tf.tensor2d(axis(w, ow), [1, ow]);
    return tf.reshape(tf.mul(rows, cols), [1, oh, ow, 1]);
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), pool: this.pool, kernelSize: this.kernelSize, stride: this.stride, pad: this.pad };
  }
}

tf.serialization.registerClass(CaffePooling2D);

/**
 * The TF.js padding modes that match Caffe exactly on an axis of length `n`.
 * 'valid' matches when no window is partial; 'same' when it yields as many windows starting at
 * the same offsets (its front pad equals Caffe's) and, for average pools, Caffe has no pad to
 * count in the divisor (TF.js divides by the in-bounds count, as Caffe does without pad).
 */
function stockModes(p: CaffePoolParams, n: number): ('valid' | 'same')[] {
  const { kernelSize: k, stride: s } = p;
  const pad = p.pad ?? 0;
  const want = poolOutSize(n, k, s, pad);
  const modes: ('valid' | 'same')[] = [];
  if (pad === 0 && Math.floor((n - k) / s) + 1 === want) modes.push('valid');
  const same = Math.ceil(n / s);
  const front = Math.floor(Math.max(0, (same - 1) * s + k - n) / 2);
  if (same === want && front === pad && (p.pool === 'max' || pad === 0)) modes.push('same');
  return modes;
}

/** A pooling layer with Caffe's semantics for an `height`×`width` input (see module doc). */
export function caffePooling(name: string, params: CaffePoolParams, height: number, width: number): tfl.layers.Layer {
  const onW = stockModes(params, width);
  const mode = stockModes(params, height).find((m) => onW.includes(m));
  if (mode) {
    const args = { name, poolSize: params.kernelSize, strides: params.stride, padding: mode };
    return params.pool === 'max' ? tfl.layers.maxPooling2d(args) : tfl.layers.averagePooling2d(args);
  }
  return new CaffePooling2D({ name, ...params });
}
