/**
 * One Caffe layer → the TF.js layers that compute it on NHWC tensors. Caffe's channel axis 1 is
 * our last axis; padding, pooling windows, groups and fillers follow Caffe exactly.
 */
import { tfl } from '../../tf.ts';
import { GroupConv2D } from '../group-conv.ts';
import type { Seeds } from '../init.ts';
import { LRN } from '../lrn.ts';
import { caffePooling } from '../pooling.ts';
import { fillerInitializer } from './fillers.ts';
import { CaffeBatchNorm, CaffeCrop, CaffeDeconvolution, CaffeEltwise, CaffePower, CaffeScale } from './layers.ts';
import { type CaffeLayer, FIELDS, layerError, type ParamReader } from '@digits-ts/caffe';

type Sym = tfl.SymbolicTensor;
type Layer = tfl.layers.Layer;

/** Applies a TF.js layer to symbolic inputs (the builder reuses earlier applications). */
export type Apply = (layer: Layer, inputs: Sym | Sym[]) => Sym;

/** What one Caffe layer became. */
export interface Unit {
  /** Every TF.js layer made for it, in order. */
  layers: Layer[];
  /** The TF.js layer whose kernel gets L2 weight decay, if any. */
  decayed: string | null;
  run(inputs: Sym[], apply: Apply): Sym;
}

/** What the mapping needs from the builder. */
export interface MapContext {
  seeds: Seeds;
  /** `num_output` for an InnerProduct without one (classification), else null. */
  classes: number | null;
  /** A unique, valid TF.js layer name for a Caffe name (plus an optional suffix). */
  tfName(caffeName: string, suffix?: string): string;
}

type Factory = (layer: CaffeLayer, inputs: Sym[], ctx: MapContext, fusedScale?: CaffeLayer) => Unit;

function fail(layer: CaffeLayer, problem: string): never {
  throw layerError(layer, problem);
}

function shapeText(x: Sym): string {
  return x.shape.slice(1).join('×');
}

/** [height, width, channels] of a 4-D blob. */
function dims4(layer: CaffeLayer, x: Sym): [number, number, number] {
  const [, h, w, c] = x.shape;
  if (x.shape.length !== 4 || typeof h !== 'number' || typeof w !== 'number' || typeof c !== 'number') {
    fail(layer, `expects an image-like 4-D blob but ${JSON.stringify(layer.bottom[0])} is ${shapeText(x)}`);
  }
  return [h, w, c];
}

/** Caffe axis (NCHW order, negative from the end) → our axis. */
function mapAxis(layer: CaffeLayer, axis: number, rank: number): number {
  const a = axis < 0 ? axis + rank : axis;
  if (a < 1 || a >= rank || (rank !== 2 && rank !== 4)) fail(layer, `cannot use axis ${axis} on a ${rank}-D blob`);
  return rank === 4 ? [0, 3, 1, 2][a]! : a;
}

/** All-zero learning rates freeze a layer (common when fine-tuning). */
function frozen(layer: CaffeLayer): boolean {
  return layer.specs.length > 0 && layer.specs.every((s) => s.lrMult === 0);
}

function chain(layers: Layer[], decayed: string | null = null): Unit {
  return { layers, decayed, run: (xs, apply) => layers.reduce((x, l) => apply(l, x), xs[0]!) };
}

const passThrough: Unit = { layers: [], decayed: null, run: (xs) => xs[0]! };

function multi(layer: Layer): Unit {
  return { layers: [layer], decayed: null, run: (xs, apply) => apply(layer, xs) };
}

/** `kernel_size` / `kernel_h`+`kernel_w` style pairs (also stride and pad): [h, w]. */
function pair(layer: CaffeLayer, p: ParamReader, name: string, fallback: number | null, min: number): [number, number] {
  const [hName, wName] = [`${name.replace(/_size$/, '')}_h`, `${name.replace(/_size$/, '')}_w`];
  const list = p.ints(name, min);
  if (p.has(hName) || p.has(wName)) {
    if (list.length > 0) fail(layer, `gives both ${name} and ${hName}/${wName}`);
    const [h, w] = [p.int(hName, undefined, min), p.int(wName, undefined, min)];
    if (h === undefined || w === undefined) fail(layer, `needs both ${hName} and ${wName}`);
    return [h, w];
  }
  if (list.length === 0) {
    if (fallback === null) fail(layer, `needs ${name}`);
    return [fallback, fallback];
  }
  if (list.length > 2) fail(layer, `gives ${list.length} values for ${name}; 2-D layers take 1 or 2`);
  return [list[0]!, list[list.length - 1]!];
}

/** What Convolution and Deconvolution read alike from convolution_param (2-D, channels on axis 1). */
function convolutionGeometry(layer: CaffeLayer, p: ParamReader, x: Sym) {
  const [, , cin] = dims4(layer, x);
  const filters = p.int('num_output', undefined, 1) ?? fail(layer, 'needs convolution_param.num_output');
  const kernel = pair(layer, p, 'kernel_size', null, 1);
  const strides = pair(layer, p, 'stride', 1, 1);
  const pad = pair(layer, p, 'pad', 0, 0);
  const dilation = p.ints('dilation', 1);
  const group = p.int('group', 1, 1);
  if (p.int('axis', 1) !== 1) fail(layer, 'supports only axis 1 (channels)');
  if (cin % group !== 0 || filters % group !== 0) fail(layer, `needs input channels (${cin}) and num_output (${filters}) divisible by group ${group}`);
  return { cin, filters, kernel, strides, pad, dilation, group };
}

const convolution: Factory = (layer, [x], ctx) => {
  const p = layer.param('convolution_param', FIELDS.convolution);
  const { cin, filters, kernel: [kh, kw], strides: [sh, sw], pad: [ph, pw], dilation, group } = convolutionGeometry(layer, p, x!);
  if (dilation.length > 2) fail(layer, `gives ${dilation.length} values for dilation; 2-D layers take 1 or 2`);
  const [dh, dw] = [dilation[0] ?? 1, dilation[dilation.length - 1] ?? 1];
  const biasTerm = p.bool('bias_term', true);
  const fans = { in: (kh * kw * cin) / group, out: kh * kw * filters };
  const kernelInitializer = fillerInitializer(p.child('weight_filler', FIELDS.filler), fans, ctx.seeds);
  const biasInitializer = fillerInitializer(p.child('bias_filler', FIELDS.filler), fans, ctx.seeds);
  const name = ctx.tfName(layer.name);
  const [effH, effW] = [dh * (kh - 1) + 1, dw * (kw - 1) + 1];
  const padded = ph > 0 || pw > 0;
  const same = padded && sh === 1 && sw === 1 && 2 * ph === effH - 1 && 2 * pw === effW - 1;
  const layers: Layer[] = [];
  if (padded && !same) layers.push(tfl.layers.zeroPadding2d({ name: ctx.tfName(layer.name, '_pad'), padding: [[ph, ph], [pw, pw]] }));
  const padding = same ? 'same' : 'valid';
  if (group > 1) {
    if (kh !== kw || sh !== sw || dh !== 1 || dw !== 1) fail(layer, 'supports group only with square kernels and strides and no dilation');
    if (!biasTerm) fail(layer, 'supports group only with bias_term: true');
    layers.push(new GroupConv2D({ name, filters, kernelSize: kh, strides: sh, padding, groups: group, kernelInitializer, biasInitializer }));
  } else {
    if ((sh > 1 || sw > 1) && (dh > 1 || dw > 1)) fail(layer, 'cannot combine dilation with a stride above 1');
    layers.push(tfl.layers.conv2d({
      name, filters, kernelSize: [kh, kw], strides: [sh, sw], padding, dilationRate: [dh, dw], useBias: biasTerm,
      kernelInitializer, biasInitializer,
    }));
  }
  layers.at(-1)!.trainable = !frozen(layer);
  return chain(layers, layer.specs[0]?.decayMult === 0 ? null : name);
};

const deconvolution: Factory = (layer, [x], ctx) => {
  const p = layer.param('convolution_param', FIELDS.convolution);
  const { cin, filters, kernel: kernelSize, strides, pad, dilation, group } = convolutionGeometry(layer, p, x!);
  if (dilation.some((d) => d !== 1)) fail(layer, 'supports only dilation 1');
  const [kh, kw] = kernelSize;
  // Caffe counts a deconvolution's fans from its output side: fan-in C_out/group·k², fan-out C_in·k²
  const fans = { in: (kh * kw * filters) / group, out: kh * kw * cin };
  const weightFiller = p.child('weight_filler', FIELDS.filler);
  const bilinear = weightFiller.message !== null && weightFiller.string('type', 'constant') === 'bilinear';
  if (bilinear && kh !== kw) fail(layer, 'needs a square kernel for the bilinear filler');
  const kernelInitializer = bilinear ? undefined : fillerInitializer(weightFiller, fans, ctx.seeds);
  const biasInitializer = fillerInitializer(p.child('bias_filler', FIELDS.filler), fans, ctx.seeds);
  const name = ctx.tfName(layer.name);
  const made = new CaffeDeconvolution({ name, filters, kernelSize, strides, pad, group, useBias: p.bool('bias_term', true), bilinear, kernelInitializer, biasInitializer });
  made.trainable = !frozen(layer);
  return chain([made], layer.specs[0]?.decayMult === 0 ? null : name);
};

const crop: Factory = (layer, [x, reference], ctx) => {
  const p = layer.param('crop_param', FIELDS.crop);
  const rank = x!.shape.length;
  if (rank !== 4 || reference!.shape.length !== 4) fail(layer, `crops 4-D blobs but has ${shapeText(x!)} and ${shapeText(reference!)}`);
  const axis = p.int('axis', 2);
  const start = axis < 0 ? axis + rank : axis;
  if (start < 1 || start > 3) fail(layer, `cannot crop from axis ${axis} (the batch axis is never cropped)`);
  const offsets = p.ints('offset', 0);
  const cropped = 4 - start;
  if (offsets.length > 1 && offsets.length !== cropped) fail(layer, `gives ${offsets.length} offsets for ${cropped} cropped axes (give one, or one per axis)`);
  // Caffe axes 1, 2, 3 (C, H, W) are our 3, 1, 2; the result is kept in our H, W, C order
  const ours: [number, number, number] = [0, 0, 0];
  const sizes: [number | null, number | null, number | null] = [null, null, null];
  for (let caffeAxis = start; caffeAxis <= 3; caffeAxis++) {
    const at = [2, 0, 1][caffeAxis - 1]!;
    const offset = offsets.length === 0 ? 0 : offsets.length === 1 ? offsets[0]! : offsets[caffeAxis - start]!;
    const [have, want] = [x!.shape[at + 1] as number, reference!.shape[at + 1] as number];
    if (offset + want > have) fail(layer, `cannot crop ${want} at offset ${offset} from size ${have} on axis ${caffeAxis} (${shapeText(x!)} to ${shapeText(reference!)})`);
    ours[at] = offset;
    sizes[at] = want;
  }
  return multi(new CaffeCrop({ name: ctx.tfName(layer.name), offsets: ours, sizes }));
};

const pooling: Factory = (layer, [x], ctx) => {
  const p = layer.param('pooling_param', FIELDS.pooling);
  const [h, w, c] = dims4(layer, x!);
  const mode = p.enumValue('pool', ['MAX', 'AVE', 'STOCHASTIC'], 'MAX');
  if (mode === 'STOCHASTIC') fail(layer, 'uses STOCHASTIC pooling, which is not supported (MAX, AVE)');
  if (p.enumValue('round_mode', ['CEIL', 'FLOOR'], 'CEIL') === 'FLOOR') fail(layer, 'uses round_mode FLOOR, which is not supported (CEIL)');
  const pool = mode === 'MAX' ? 'max' : 'ave';
  const name = ctx.tfName(layer.name);
  if (p.bool('global_pooling', false)) {
    if (p.has('kernel_size') || p.has('kernel_h') || p.has('kernel_w')) fail(layer, 'cannot give a kernel size with global_pooling');
    if (pair(layer, p, 'pad', 0, 0).some((v) => v !== 0) || pair(layer, p, 'stride', 1, 1).some((v) => v !== 1)) {
      fail(layer, 'needs pad 0 and stride 1 with global_pooling');
    }
    if (h === w) return chain([caffePooling(name, { pool, kernelSize: h, stride: 1 }, h, w)]);
    const args = { name: ctx.tfName(layer.name, '_global') };
    const global = pool === 'max' ? tfl.layers.globalMaxPooling2d(args) : tfl.layers.globalAveragePooling2d(args);
    return chain([global, tfl.layers.reshape({ name, targetShape: [1, 1, c] })]);
  }
  const [kh, kw] = pair(layer, p, 'kernel_size', null, 1);
  const [sh, sw] = pair(layer, p, 'stride', 1, 1);
  const [ph, pw] = pair(layer, p, 'pad', 0, 0);
  if (kh !== kw || sh !== sw || ph !== pw) fail(layer, 'supports only square kernels, strides and pads');
  return chain([caffePooling(name, { pool, kernelSize: kh, stride: sh, pad: ph }, h, w)]);
};

const innerProduct: Factory = (layer, [x], ctx) => {
  const p = layer.param('inner_product_param', FIELDS.innerProduct);
  const units = p.int('num_output', undefined, 1) ?? ctx.classes
    ?? fail(layer, 'needs inner_product_param.num_output (DIGITS sets it to the number of classes only for classification datasets)');
  if (p.int('axis', 1) !== 1) fail(layer, 'supports only axis 1');
  p.bool('transpose', false); // only the weights' storage order; the product is the same
  const features = x!.shape.slice(1).reduce<number>((a, d) => a * (d ?? Number.NaN), 1);
  const fans = { in: features, out: units };
  const kernelInitializer = fillerInitializer(p.child('weight_filler', FIELDS.filler), fans, ctx.seeds);
  const biasInitializer = fillerInitializer(p.child('bias_filler', FIELDS.filler), fans, ctx.seeds);
  const name = ctx.tfName(layer.name);
  const layers: Layer[] = [];
  if (x!.shape.length > 2) layers.push(tfl.layers.flatten({ name: ctx.tfName(layer.name, '_flatten') }));
  const dense = tfl.layers.dense({ name, units, useBias: p.bool('bias_term', true), kernelInitializer, biasInitializer });
  dense.trainable = !frozen(layer);
  layers.push(dense);
  return chain(layers, layer.specs[0]?.decayMult === 0 ? null : name);
};

const relu: Factory = (layer, _inputs, ctx) => {
  const slope = layer.param('relu_param', FIELDS.relu).number('negative_slope', 0);
  const name = ctx.tfName(layer.name);
  return chain([slope === 0 ? tfl.layers.reLU({ name }) : tfl.layers.leakyReLU({ name, alpha: slope })]);
};

const activation = (fn: 'sigmoid' | 'tanh', field: string): Factory => (layer, _inputs, ctx) => {
  layer.param(field, FIELDS.engineOnly);
  return chain([tfl.layers.activation({ name: ctx.tfName(layer.name), activation: fn })]);
};

const dropout: Factory = (layer, _inputs, ctx) => {
  const p = layer.param('dropout_param', FIELDS.dropout);
  const rate = p.number('dropout_ratio', 0.5);
  if (!(rate >= 0 && rate < 1)) fail(layer, `needs dropout_ratio in [0, 1) but has ${rate}`);
  if (!p.bool('scale_train', true)) fail(layer, 'supports only scale_train: true');
  return chain([tfl.layers.dropout({ name: ctx.tfName(layer.name), rate })]);
};

const lrn: Factory = (layer, [x], ctx) => {
  const p = layer.param('lrn_param', FIELDS.lrn);
  dims4(layer, x!);
  if (p.enumValue('norm_region', ['ACROSS_CHANNELS', 'WITHIN_CHANNEL'], 'ACROSS_CHANNELS') === 'WITHIN_CHANNEL') {
    fail(layer, 'uses norm_region WITHIN_CHANNEL, which is not supported (ACROSS_CHANNELS)');
  }
  const size = p.int('local_size', 5, 1);
  if (size % 2 === 0) fail(layer, `needs an odd local_size but has ${size}`);
  const args = { name: ctx.tfName(layer.name), size, alpha: p.number('alpha', 1), beta: p.number('beta', 0.75), k: p.number('k', 1) };
  return chain([new LRN(args)]);
};

const concat: Factory = (layer, inputs, ctx) => {
  const p = layer.param('concat_param', FIELDS.concat);
  const axis = p.has('concat_dim') && !p.has('axis') ? p.int('concat_dim', 1, 0) : p.int('axis', 1);
  const mapped = mapAxis(layer, axis, inputs[0]!.shape.length);
  if (inputs.length === 1) return passThrough;
  return multi(tfl.layers.concatenate({ name: ctx.tfName(layer.name), axis: mapped }));
};

const flatten: Factory = (layer, [x], ctx) => {
  const p = layer.param('flatten_param', FIELDS.flatten);
  const rank = x!.shape.length;
  const [axis, end] = [p.int('axis', 1), p.int('end_axis', -1)];
  if ((axis < 0 ? axis + rank : axis) !== 1 || (end < 0 ? end + rank : end) !== rank - 1) fail(layer, 'supports only axis 1 and end_axis -1');
  return rank === 2 ? passThrough : chain([tfl.layers.flatten({ name: ctx.tfName(layer.name) })]);
};

const eltwise: Factory = (layer, inputs, ctx) => {
  const p = layer.param('eltwise_param', FIELDS.eltwise);
  const op = p.enumValue('operation', ['PROD', 'SUM', 'MAX'], 'SUM');
  const coeffs = p.numbers('coeff');
  p.bool('stable_prod_grad', true);
  if (coeffs.length > 0 && (op !== 'SUM' || coeffs.length !== inputs.length)) {
    fail(layer, `needs one coeff per bottom (${inputs.length}) and only with operation SUM`);
  }
  const shapes = inputs.map((x) => x.shape.slice(1).join('×'));
  if (shapes.some((s) => s !== shapes[0])) fail(layer, `needs bottoms of one shape but has ${shapes.join(', ')}`);
  const name = ctx.tfName(layer.name);
  if (coeffs.some((c) => c !== 1)) return multi(new CaffeEltwise({ name, operation: 'sum', coeffs }));
  if (op === 'SUM') return multi(tfl.layers.add({ name }));
  return multi(op === 'PROD' ? tfl.layers.multiply({ name }) : tfl.layers.maximum({ name }));
};

/** Checks a Scale layer's parameters: one bottom, per-channel (axis 1, num_axes 1). */
function scaleParams(layer: CaffeLayer, seeds: Seeds) {
  const p = layer.param('scale_param', FIELDS.scale);
  if (layer.bottom.length !== 1) fail(layer, 'supports only one bottom (a learned per-channel scale)');
  if (p.int('axis', 1) !== 1 || p.int('num_axes', 1) !== 1) fail(layer, 'supports only axis 1 and num_axes 1 (per channel)');
  const fans = { in: 1, out: 1 };
  return {
    biasTerm: p.bool('bias_term', false),
    scaleInitializer: fillerInitializer(p.child('filler', FIELDS.filler), fans, seeds, 1),
    biasInitializer: fillerInitializer(p.child('bias_filler', FIELDS.filler), fans, seeds),
  };
}

const batchNorm: Factory = (layer, _inputs, ctx, fusedScale) => {
  const p = layer.param('batch_norm_param', FIELDS.batchNorm);
  const useGlobalStats = p.has('use_global_stats') ? p.bool('use_global_stats', false) : null;
  const fraction = p.number('moving_average_fraction', 0.999);
  const eps = p.number('eps', 1e-5);
  const scale = fusedScale ? scaleParams(fusedScale, ctx.seeds) : null;
  const bn = new CaffeBatchNorm({
    name: ctx.tfName(layer.name), useGlobalStats, movingAverageFraction: fraction, eps,
    scale: scale !== null, center: scale?.biasTerm ?? false,
    gammaInitializer: scale?.scaleInitializer, betaInitializer: scale?.biasInitializer,
  });
  if (fusedScale && frozen(fusedScale)) bn.trainable = false;
  return chain([bn]);
};

const scale: Factory = (layer, _inputs, ctx) => {
  const layerTf = new CaffeScale({ name: ctx.tfName(layer.name), ...scaleParams(layer, ctx.seeds) });
  layerTf.trainable = !frozen(layer);
  return chain([layerTf]);
};

const power: Factory = (layer, _inputs, ctx) => {
  const p = layer.param('power_param', FIELDS.power);
  const [exponent, factor, shift] = [p.number('power', 1), p.number('scale', 1), p.number('shift', 0)];
  const name = ctx.tfName(layer.name);
  if (exponent === 1) return chain([tfl.layers.rescaling({ name, scale: factor, offset: shift })]);
  return chain([new CaffePower({ name, power: exponent, scale: factor, shift })]);
};

const softmax: Factory = (layer, [x], ctx) => {
  const axis = mapAxis(layer, layer.param('softmax_param', FIELDS.softmax).int('axis', 1), x!.shape.length);
  return chain([tfl.layers.softmax({ name: ctx.tfName(layer.name), axis })]);
};

/** Bottom counts [min, max] and the factory of every mapped layer type. */
export const LAYER_FACTORIES: Readonly<Record<string, { bottoms: [number, number]; make: Factory }>> = {
  Convolution: { bottoms: [1, 1], make: convolution },
  Deconvolution: { bottoms: [1, 1], make: deconvolution },
  Crop: { bottoms: [2, 2], make: crop },
  Pooling: { bottoms: [1, 1], make: pooling },
  InnerProduct: { bottoms: [1, 1], make: innerProduct },
  ReLU: { bottoms: [1, 1], make: relu },
  Sigmoid: { bottoms: [1, 1], make: activation('sigmoid', 'sigmoid_param') },
  TanH: { bottoms: [1, 1], make: activation('tanh', 'tanh_param') },
  Dropout: { bottoms: [1, 1], make: dropout },
  LRN: { bottoms: [1, 1], make: lrn },
  Concat: { bottoms: [1, Infinity], make: concat },
  Flatten: { bottoms: [1, 1], make: flatten },
  Eltwise: { bottoms: [2, Infinity], make: eltwise },
  BatchNorm: { bottoms: [1, 1], make: batchNorm },
  Scale: { bottoms: [1, 2], make: scale },
  Power: { bottoms: [1, 1], make: power },
  Softmax: { bottoms: [1, 1], make: softmax },
};
