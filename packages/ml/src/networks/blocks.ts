/**
 * Layer helpers shared by the network definitions: they take Caffe layer names and parameters,
 * create the matching TF.js layers (named via `tfLayerName`), seed their initializers and note
 * which kernels get weight decay.
 */
import { tfl } from '../tf.ts';
import { GroupConv2D } from './group-conv.ts';
import { constant, gaussian, Seeds, xavier, type Initializer } from './init.ts';
import { LRN } from './lrn.ts';
import { tfLayerName } from './naming.ts';
import { caffePooling, type CaffePoolParams } from './pooling.ts';

type Sym = tfl.SymbolicTensor;

/** Caffe weight filler of a layer. */
export type WeightFill = { type: 'xavier' } | { type: 'gaussian'; std: number };

/** Caffe Convolution parameters (square kernels). */
export interface ConvParams {
  filters: number;
  kernel: number;
  stride?: number;
  pad?: number;
  group?: number;
  /** Followed by an in-place ReLU in Caffe; fused into the layer here. */
  relu: boolean;
  weight: WeightFill;
  bias: number;
}

/** Caffe InnerProduct parameters. */
export interface DenseParams {
  units: number;
  relu: boolean;
  weight: WeightFill;
  bias: number;
}

function sym(out: unknown): Sym {
  return out as Sym;
}

/** Spatial size [height, width] of an NHWC symbolic tensor. */
function spatial(x: Sym): [number, number] {
  const [, h, w] = x.shape;
  if (typeof h !== 'number' || typeof w !== 'number') throw new Error('Expected a fixed input size');
  return [h, w];
}

/** Builds one network's layers; collects the names of decayed kernels. */
export class NetBuilder {
  readonly decayed: string[] = [];
  private readonly seeds: Seeds;

  constructor(seed?: number) {
    this.seeds = new Seeds(seed);
  }

  private fill(weight: WeightFill): Initializer {
    return weight.type === 'xavier' ? xavier(this.seeds) : gaussian(weight.std, this.seeds);
  }

  /**
   * Caffe Convolution. Stride-1 odd kernels with pad (k−1)/2 use 'same' (identical); other
   * padded convolutions get an explicit zero-padding layer `<name>_pad` and run 'valid'.
   */
  conv(x: Sym, caffeName: string, p: ConvParams): Sym {
    const name = tfLayerName(caffeName);
    const [stride, pad, group] = [p.stride ?? 1, p.pad ?? 0, p.group ?? 1];
    let padding: 'same' | 'valid' = 'valid';
    if (pad > 0 && stride === 1 && 2 * pad === p.kernel - 1) padding = 'same';
    else if (pad > 0) x = sym(tfl.layers.zeroPadding2d({ name: `${name}_pad`, padding: pad }).apply(x));
    const common = {
      name, filters: p.filters, kernelSize: p.kernel, strides: stride, padding,
      activation: p.relu ? ('relu' as const) : ('linear' as const),
      kernelInitializer: this.fill(p.weight), biasInitializer: constant(p.bias),
    };
    const layer = group > 1 ? new GroupConv2D({ ...common, groups: group }) : tfl.layers.conv2d(common);
    this.decayed.push(name);
    return sym(layer.apply(x));
  }

  /** Caffe InnerProduct; flattens a feature map first (NHWC order, `<name>_flatten`). */
  dense(x: Sym, caffeName: string, p: DenseParams): Sym {
    const name = tfLayerName(caffeName);
    if (x.shape.length > 2) x = sym(tfl.layers.flatten({ name: `${name}_flatten` }).apply(x));
    const layer = tfl.layers.dense({
      name, units: p.units, activation: p.relu ? 'relu' : 'linear',
      kernelInitializer: this.fill(p.weight), biasInitializer: constant(p.bias),
    });
    this.decayed.push(name);
    return sym(layer.apply(x));
  }

  /** Caffe Pooling with Caffe's output sizes (see `caffePooling`). */
  pool(x: Sym, caffeName: string, p: CaffePoolParams): Sym {
    const [h, w] = spatial(x);
    return sym(caffePooling(tfLayerName(caffeName), p, h, w).apply(x));
  }

  /** Caffe LRN (local_size 5, alpha 1e-4, beta 0.75 in all standard networks). */
  lrn(x: Sym, caffeName: string): Sym {
    return sym(new LRN({ name: tfLayerName(caffeName), size: 5, alpha: 1e-4, beta: 0.75 }).apply(x));
  }

  dropout(x: Sym, caffeName: string, rate: number): Sym {
    return sym(tfl.layers.dropout({ name: tfLayerName(caffeName), rate }).apply(x));
  }

  /** Caffe Concat along channels. */
  concat(xs: Sym[], caffeName: string): Sym {
    return sym(tfl.layers.concatenate({ name: tfLayerName(caffeName), axis: -1 }).apply(xs));
  }
}

/** Shorthands for the fillers used by the standard networks. */
export const XAVIER: WeightFill = { type: 'xavier' };
export const gauss = (std: number): WeightFill => ({ type: 'gaussian', std });
