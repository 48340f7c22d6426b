/**
 * A Caffe network as a picture sees it (every layer, unfiltered, with a few parameter lines), a
 * cheap prototxt detector, and DIGITS' standard networks as prototxt.
 */
import type { GraphLayer, NetworkGraph } from '../graph.ts';
import { type CaffeLayer, FIELDS, type NetStateRule, type ParamReader, parseCaffeNet } from '@digits-ts/caffe';

type Details = (layer: CaffeLayer) => string[];

const times = (h: number, w: number): string => `${h}×${w}`;
const compact = (h: number, w: number): string => (h === w ? `${h}` : `${h}×${w}`);

/** `kernel_size` (repeated or single) or `kernel_h`/`kernel_w`, for display. */
function size(p: ParamReader, name: string, fallback: number | null): [number, number] | null {
  const stem = name.replace(/_size$/, '');
  const list = p.ints(name);
  if (list.length > 0) return [list[0]!, list[list.length - 1]!];
  if (p.has(`${stem}_h`) || p.has(`${stem}_w`)) return [p.int(`${stem}_h`, fallback ?? 0), p.int(`${stem}_w`, fallback ?? 0)];
  return fallback === null ? null : [fallback, fallback];
}

function window(p: ParamReader): string[] {
  const kernel = size(p, 'kernel_size', null);
  const [sh, sw] = size(p, 'stride', 1)!;
  const [ph, pw] = size(p, 'pad', 0)!;
  const line = [kernel ? `kernel ${times(...kernel)}` : null, `stride ${compact(sh, sw)}`, ph || pw ? `pad ${compact(ph, pw)}` : null];
  return [line.filter(Boolean).join(' ')];
}

function outputs(p: ParamReader): string {
  const n = p.int('num_output', undefined);
  return n === undefined ? 'outputs: #classes' : `${n} outputs`;
}

const DETAILS: Record<string, Details> = {
  Convolution: (l) => {
    const p = l.param('convolution_param', FIELDS.convolution);
    const group = p.int('group', 1);
    return [outputs(p), ...window(p), ...(group > 1 ? [`group ${group}`] : [])];
  },
  Deconvolution: (l) => {
    const p = l.param('convolution_param', FIELDS.convolution);
    const group = p.int('group', 1);
    return [outputs(p), ...window(p), ...(group > 1 ? [`group ${group}`] : [])];
  },
  Crop: (l) => {
    const p = l.param('crop_param', FIELDS.crop);
    const offsets = p.ints('offset', 0);
    return [`axis ${p.int('axis', 2)} offset ${offsets.length > 0 ? offsets.join(', ') : 0}`];
  },
  Pooling: (l) => {
    const p = l.param('pooling_param', FIELDS.pooling);
    const pool = p.enumValue('pool', ['MAX', 'AVE', 'STOCHASTIC'], 'MAX');
    return p.bool('global_pooling', false) ? [`${pool} global`] : [`${pool} ${window(p)[0]}`];
  },
  InnerProduct: (l) => [outputs(l.param('inner_product_param', FIELDS.innerProduct))],
  ReLU: (l) => {
    const slope = l.param('relu_param', FIELDS.relu).number('negative_slope', 0);
    return slope === 0 ? [] : [`negative slope ${slope}`];
  },
  Dropout: (l) => [`ratio ${l.param('dropout_param', FIELDS.dropout).number('dropout_ratio', 0.5)}`],
  LRN: (l) => {
    const p = l.param('lrn_param', FIELDS.lrn);
    return [`size ${p.int('local_size', 5)} α ${p.number('alpha', 1)} β ${p.number('beta', 0.75)}`];
  },
  Eltwise: (l) => {
    const p = l.param('eltwise_param', FIELDS.eltwise);
    const coeffs = p.numbers('coeff');
    return [`${p.enumValue('operation', ['PROD', 'SUM', 'MAX'], 'SUM')}${coeffs.length > 0 ? ` × ${coeffs.join(', ')}` : ''}`];
  },
  Power: (l) => {
    const p = l.param('power_param', FIELDS.power);
    return [`(${p.number('shift', 0)} + ${p.number('scale', 1)}·x)^${p.number('power', 1)}`];
  },
  Accuracy: (l) => [`top-${l.param('accuracy_param', FIELDS.accuracy).int('top_k', 1)}`],
  Data: (l) => dataDetails(l, l.param('data_param', FIELDS.data).int('batch_size', undefined)),
  HDF5Data: (l) => dataDetails(l, l.param('hdf5_data_param', FIELDS.hdf5Data).int('batch_size', undefined)),
};

function dataDetails(layer: CaffeLayer, batch: number | undefined): string[] {
  const t = layer.param('transform_param', FIELDS.transform);
  const crop = t.int('crop_size', undefined);
  const scale = t.number('scale', 1);
  const line = [batch === undefined ? null : `batch ${batch}`, crop === undefined ? null : `crop ${crop}`, t.bool('mirror', false) ? 'mirror' : null];
  return [line.filter(Boolean).join(' '), scale === 1 ? '' : `scale ${scale}`].filter((s) => s !== '');
}

function ruleText(rule: NetStateRule): string {
  const parts = [
    rule.phase ?? '', ...rule.stage.map((s) => `stage ${s}`), ...rule.notStage.map((s) => `not stage ${s}`),
    rule.minLevel !== undefined ? `level ≥ ${rule.minLevel}` : '', rule.maxLevel !== undefined ? `level ≤ ${rule.maxLevel}` : '',
  ];
  return parts.filter((p) => p !== '').join(' ');
}

function layerDetails(layer: CaffeLayer): string[] {
  let lines: string[];
  try {
    lines = DETAILS[layer.type]?.(layer) ?? [];
  } catch {
    lines = ['(invalid parameters)'];
  }
  if (layer.lossWeight.length > 0 && layer.lossWeight[0] !== 1) lines.push(`loss weight ${layer.lossWeight[0]}`);
  for (const rule of layer.include) lines.push(`only ${ruleText(rule)}`);
  for (const rule of layer.exclude) lines.push(`not in ${ruleText(rule)}`);
  return lines;
}

/**
 * Every layer of a Caffe network in prototxt order, stage rules not applied, for drawing; a
 * deploy-style top-level `input` becomes an `Input` layer. Throws NETWORK_INVALID for text that is
 * not a (V2) NetParameter; unsupported layer types are drawn like any other.
 */
export function caffeNetworkGraph(text: string): NetworkGraph {
  const net = parseCaffeNet(text);
  const inputs: GraphLayer[] = net.inputs.map((name) => ({ name, type: 'Input', detail: [], bottoms: [], tops: [name] }));
  const layers = net.layers.map((layer): GraphLayer => ({
    name: layer.name, type: layer.type, detail: layerDetails(layer), bottoms: [...layer.bottom], tops: [...layer.top],
  }));
  return { name: net.name, layers: [...inputs, ...layers] };
}
