/**
 * Typed reading of schema-less prototxt messages with Caffe's field names and defaults, and the
 * one error shape for user-facing network problems (`Bad network: …`, NETWORK_INVALID, 400).
 */
import { Errors, type AppError } from '@digits-ts/contracts';
import type { PrototxtMessage, PrototxtScalar, PrototxtValue, TextPosition } from './prototxt.ts';

/** The error every problem in a user's network definition becomes. */
export function badNetwork(message: string, cause?: unknown): AppError {
  return Errors.NETWORK_INVALID(`Bad network: ${message}`, cause === undefined ? undefined : { cause });
}

function shown(value: PrototxtValue): string {
  if (value.kind === 'message') return 'a { … } block';
  if (value.kind === 'string') return JSON.stringify(value.value);
  return value.kind === 'number' ? value.text : value.value;
}

/**
 * Reads the fields of one message. `where` names it in errors (`layer "conv1" convolution_param`);
 * `known` lists the field names Caffe defines for it, so a typo such as `num_ouput` is an error
 * rather than a silently ignored field. A null message reads as empty (every field at its default).
 */
export class ParamReader {
  constructor(
    readonly message: PrototxtMessage | null,
    readonly where: string,
    known: readonly string[],
  ) {
    for (const [name, values] of message?.fields ?? []) {
      if (!known.includes(name)) this.fail(values[0]!.at, `has no field "${name}" (known: ${known.join(', ')})`);
    }
  }

  fail(at: TextPosition | null, problem: string): never {
    throw badNetwork(`${this.where}${at ? ` (line ${at.line})` : ''} ${problem}`);
  }

  values(name: string): PrototxtValue[] {
    return this.message?.fields.get(name) ?? [];
  }

  has(name: string): boolean {
    return this.values(name).length > 0;
  }

  /** The single value of a non-repeated field, or undefined. */
  private single(name: string): PrototxtValue | undefined {
    const values = this.values(name);
    if (values.length > 1) this.fail(values[1]!.at, `gives ${name} ${values.length} times; it takes one value`);
    return values[0];
  }

  private scalarOf(name: string, value: PrototxtValue, expected: string): PrototxtScalar {
    if (value.kind === 'message') this.fail(value.at, `expected ${expected} for ${name} but found ${shown(value)}`);
    return value;
  }

  private numberOf(name: string, value: PrototxtValue, integer: boolean): number {
    const expected = integer ? 'an integer' : 'a number';
    const scalar = this.scalarOf(name, value, expected);
    if (scalar.kind !== 'number' || (integer && !Number.isInteger(scalar.value))) {
      this.fail(scalar.at, `expected ${expected} for ${name} but found ${shown(scalar)}`);
    }
    return scalar.value;
  }

  /** A float field; `fallback` when absent. */
  number(name: string, fallback: number): number {
    const value = this.single(name);
    return value === undefined ? fallback : this.numberOf(name, value, false);
  }

  /** An integer field at least `min`; `fallback` (or undefined) when absent. */
  int(name: string, fallback: number, min?: number): number;
  int(name: string, fallback: undefined, min?: number): number | undefined;
  int(name: string, fallback: number | undefined, min = Number.NEGATIVE_INFINITY): number | undefined {
    const value = this.single(name);
    if (value === undefined) return fallback;
    const n = this.numberOf(name, value, true);
    if (n < min) this.fail(value.at, `expected ${name} of at least ${min} but found ${n}`);
    return n;
  }

  /** Every value of a repeated integer field (each at least `min`). */
  ints(name: string, min = Number.NEGATIVE_INFINITY): number[] {
    return this.values(name).map((value) => {
      const n = this.numberOf(name, value, true);
      if (n < min) this.fail(value.at, `expected ${name} of at least ${min} but found ${n}`);
      return n;
    });
  }

  /** Every value of a repeated float field. */
  numbers(name: string): number[] {
    return this.values(name).map((value) => this.numberOf(name, value, false));
  }

  bool(name: string, fallback: boolean): boolean {
    const value = this.single(name);
    if (value === undefined) return fallback;
    const scalar = this.scalarOf(name, value, 'true or false');
    if (scalar.kind === 'identifier' && /^(true|t|false|f)$/i.test(scalar.value)) return /^t/i.test(scalar.value);
    if (scalar.kind === 'number' && (scalar.value === 0 || scalar.value === 1)) return scalar.value === 1;
    return this.fail(scalar.at, `expected true or false for ${name} but found ${shown(scalar)}`);
  }

  /** An enum field (bare identifier, or its number as protobuf allows); `fallback` when absent. */
  enumValue<T extends string>(name: string, options: readonly T[], fallback: T): T {
    const value = this.single(name);
    if (value === undefined) return fallback;
    const scalar = this.scalarOf(name, value, `one of ${options.join(', ')}`);
    if (scalar.kind === 'identifier' && (options as readonly string[]).includes(scalar.value)) return scalar.value as T;
    if (scalar.kind === 'number' && Number.isInteger(scalar.value) && options[scalar.value] !== undefined) return options[scalar.value]!;
    return this.fail(scalar.at, `expected one of ${options.join(', ')} for ${name} but found ${shown(scalar)}`);
  }

  private stringOf(name: string, value: PrototxtValue): string {
    const scalar = this.scalarOf(name, value, 'a quoted string');
    if (scalar.kind !== 'string') this.fail(scalar.at, `expected a quoted string for ${name} but found ${shown(scalar)}`);
    return scalar.value;
  }

  string(name: string, fallback: string): string {
    const value = this.single(name);
    return value === undefined ? fallback : this.stringOf(name, value);
  }

  strings(name: string): string[] {
    return this.values(name).map((value) => this.stringOf(name, value));
  }

  private messageOf(name: string, value: PrototxtValue): PrototxtMessage {
    if (value.kind !== 'message') this.fail(value.at, `expected a { … } block for ${name} but found ${shown(value)}`);
    return value;
  }

  /** A non-repeated sub-message (null when absent), read with its own known fields. */
  child(name: string, known: readonly string[]): ParamReader {
    const value = this.single(name);
    return new ParamReader(value === undefined ? null : this.messageOf(name, value), `${this.where} ${name}`, known);
  }

  /** Every value of a repeated sub-message field. */
  messages(name: string, known: readonly string[]): ParamReader[] {
    return this.values(name).map((value) => new ParamReader(this.messageOf(name, value), `${this.where} ${name}`, known));
  }
}

/** Caffe's field names per parameter message (ignored ones included, so they are no error). */
export const FIELDS = {
  filler: ['type', 'value', 'min', 'max', 'mean', 'std', 'sparse', 'variance_norm'],
  param: ['name', 'share_mode', 'lr_mult', 'decay_mult'],
  rule: ['phase', 'min_level', 'max_level', 'stage', 'not_stage'],
  convolution: [
    'num_output', 'bias_term', 'pad', 'kernel_size', 'stride', 'dilation', 'pad_h', 'pad_w', 'kernel_h', 'kernel_w',
    'stride_h', 'stride_w', 'group', 'weight_filler', 'bias_filler', 'engine', 'axis', 'force_nd_im2col',
  ],
  pooling: [
    'pool', 'pad', 'pad_h', 'pad_w', 'kernel_size', 'kernel_h', 'kernel_w', 'stride', 'stride_h', 'stride_w', 'engine',
    'global_pooling', 'round_mode',
  ],
  innerProduct: ['num_output', 'bias_term', 'weight_filler', 'bias_filler', 'axis', 'transpose'],
  relu: ['negative_slope', 'engine'],
  engineOnly: ['engine'],
  dropout: ['dropout_ratio', 'scale_train'],
  lrn: ['local_size', 'alpha', 'beta', 'norm_region', 'k', 'engine'],
  concat: ['axis', 'concat_dim'],
  crop: ['axis', 'offset'],
  flatten: ['axis', 'end_axis'],
  eltwise: ['operation', 'coeff', 'stable_prod_grad'],
  batchNorm: ['use_global_stats', 'moving_average_fraction', 'eps'],
  scale: ['axis', 'num_axes', 'filler', 'bias_term', 'bias_filler'],
  power: ['power', 'scale', 'shift'],
  softmax: ['axis', 'engine'],
  accuracy: ['top_k', 'axis', 'ignore_label'],
  loss: ['ignore_label', 'normalization', 'normalize'],
  detectnetGroundtruth: ['stride', 'scale_cvg'],
  clusterDetections: ['stride', 'gridbox_cvg_threshold', 'gridbox_rect_thresh', 'gridbox_rect_eps', 'min_height', 'max_boxes'],
  scoreDetections: ['iou_threshold'],
  transform: ['scale', 'mirror', 'crop_size', 'mean_file', 'mean_value', 'force_color', 'force_gray'],
  data: ['source', 'batch_size', 'rand_skip', 'backend', 'scale', 'mean_file', 'crop_size', 'mirror', 'force_encoded_color', 'prefetch'],
  hdf5Data: ['source', 'batch_size', 'shuffle'],
  input: ['shape'],
  blobShape: ['dim'],
} as const;
