/**
 * Caffe's NetParameter read from prototxt: the net's name, its deploy-style inputs and its
 * `layer` list with the fields every layer has. Type-specific `*_param` messages stay as
 * prototxt and are read by the layer mapping through {@link CaffeLayer.param}.
 * The legacy V1 format (`layers { type: CONVOLUTION }`) is refused with upgrade advice.
 */
import type { AppError } from '@digits-ts/contracts';
import { FIELDS, ParamReader, badNetwork } from './params.ts';
import { parsePrototxt, PrototxtSyntaxError, type PrototxtMessage, type TextPosition } from './prototxt.ts';

/** Caffe's Phase enum. */
export const PHASES = ['TRAIN', 'TEST'] as const;
export type Phase = (typeof PHASES)[number];

/** Caffe's NetStateRule: which net states a layer belongs to (unset fields match anything). */
export interface NetStateRule {
  phase?: Phase;
  minLevel?: number;
  maxLevel?: number;
  /** The state must have all of these stages. */
  stage: string[];
  /** The state must have none of these stages. */
  notStage: string[];
}

/** Caffe's ParamSpec: learning-rate and weight-decay multipliers of one weight blob. */
export interface ParamSpec {
  lrMult: number;
  decayMult: number;
}

/** One `layer { … }` entry. */
export interface CaffeLayer {
  /** Position in the prototxt's layer list (0-based). */
  index: number;
  name: string;
  type: string;
  bottom: string[];
  top: string[];
  include: NetStateRule[];
  exclude: NetStateRule[];
  lossWeight: number[];
  /** The layer's `param { lr_mult decay_mult }` entries, one per weight blob. */
  specs: ParamSpec[];
  /** Where the layer starts in the text. */
  at: TextPosition;
  /** The whole LayerParameter message. */
  message: PrototxtMessage;
  /** `layer "conv1"`, for messages. */
  where: string;
  /** Reader for one of the layer's `*_param` messages (empty when absent) with Caffe's field names. */
  param(field: string, known: readonly string[]): ParamReader;
}

/** A NetParameter as far as we read it. */
export interface CaffeNet {
  name: string;
  /** Top-level `input:` blob names (deploy-style nets). */
  inputs: string[];
  layers: CaffeLayer[];
}

/** A problem with one layer: `Bad network: layer "conv1" (Convolution, line 40) needs …`. */
export function layerError(layer: Pick<CaffeLayer, 'where' | 'type' | 'at'>, problem: string): AppError {
  return badNetwork(`${layer.where} (${layer.type || 'no type'}, line ${layer.at.line}) ${problem}`);
}

const NET_FIELDS = ['name', 'input', 'input_shape', 'input_dim', 'force_backward', 'state', 'debug_info', 'layer'];
const LAYER_FIELDS = [
  'name', 'type', 'bottom', 'top', 'phase', 'loss_weight', 'param', 'blobs', 'propagate_down', 'include', 'exclude',
];

const V1_ADVICE = 'this is the legacy V1 network format ("layers { type: CONVOLUTION … }"); convert it with Caffe\'s '
  + 'upgrade_net_proto_text tool (build/tools/upgrade_net_proto_text old.prototxt new.prototxt) and submit the result';

function readRule(rule: ParamReader): NetStateRule {
  const read: NetStateRule = { stage: rule.strings('stage'), notStage: rule.strings('not_stage') };
  if (rule.has('phase')) read.phase = rule.enumValue('phase', PHASES, 'TRAIN');
  const min = rule.int('min_level', undefined);
  const max = rule.int('max_level', undefined);
  if (min !== undefined) read.minLevel = min;
  if (max !== undefined) read.maxLevel = max;
  return read;
}

function readSpec(spec: ParamReader): ParamSpec {
  if (spec.has('name')) spec.fail(spec.message!.at, 'names a shared parameter, which is not supported (every layer has its own weights)');
  spec.enumValue('share_mode', ['STRICT', 'PERMISSIVE'], 'STRICT');
  return { lrMult: spec.number('lr_mult', 1), decayMult: spec.number('decay_mult', 1) };
}

function readLayer(message: PrototxtMessage, index: number): CaffeLayer {
  const params = [...message.fields.keys()].filter((f) => f.endsWith('_param'));
  const name = new ParamReader(message, `layer #${index + 1}`, [...message.fields.keys()]).string('name', '');
  const where = name === '' ? `layer #${index + 1}` : `layer ${JSON.stringify(name)}`;
  const reader: ParamReader = new ParamReader(message, where, [...LAYER_FIELDS, ...params]);
  const typeValue = reader.values('type')[0];
  if (typeValue === undefined) reader.fail(message.at, 'has no type');
  if (typeValue.kind === 'identifier') {
    reader.fail(typeValue.at, `has type ${typeValue.value} without quotes; layer types are strings such as "Convolution" (${V1_ADVICE})`);
  }
  const type = reader.string('type', '');
  const layer: CaffeLayer = {
    index, name, type, where, at: message.at, message,
    bottom: reader.strings('bottom'),
    top: reader.strings('top'),
    include: reader.messages('include', FIELDS.rule).map(readRule),
    exclude: reader.messages('exclude', FIELDS.rule).map(readRule),
    lossWeight: reader.numbers('loss_weight'),
    specs: reader.messages('param', FIELDS.param).map(readSpec),
    param: (field, known) => reader.child(field, known),
  };
  if (layer.include.length > 0 && layer.exclude.length > 0) {
    reader.fail(message.at, 'has both include and exclude rules; Caffe takes one kind or the other');
  }
  return layer;
}

/** Reads a NetParameter from the prototxt text; every problem is a NETWORK_INVALID error. */
export function parseCaffeNet(text: string): CaffeNet {
  let root: PrototxtMessage;
  try {
    root = parsePrototxt(text);
  } catch (err) {
    if (err instanceof PrototxtSyntaxError) throw badNetwork(err.message, err);
    throw err;
  }
  const v1 = root.fields.get('layers')?.[0];
  if (v1) throw badNetwork(`line ${v1.at.line}: ${V1_ADVICE}`);
  const net: ParamReader = new ParamReader(root, 'the network', NET_FIELDS);
  for (const shape of net.messages('input_shape', FIELDS.blobShape)) shape.ints('dim', 0);
  net.ints('input_dim', 0);
  const layers = net.values('layer').map((value, index) => {
    if (value.kind !== 'message') net.fail(value.at, 'expected a { … } block for layer');
    return readLayer(value, index);
  });
  return { name: net.string('name', ''), inputs: net.strings('input'), layers };
}
