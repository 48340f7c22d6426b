/**
 * `POST /models/visualize-network`: a {@link NetworkGraph} as a picture, drawn the way DIGITS'
 * caffe.draw drew Caffe nets (GraphViz, top-down, layers as boxes, blobs as octagons), plus the
 * reader that turns a TF.js / Keras layers topology into such a graph.
 */
import { instance, type Viz } from '@viz-js/viz';
import { layersTopologyOf } from '@digits-ts/caffe';
import type { GraphLayer, NetworkGraph } from './graph.ts';

/** caffe.draw's hues (conv red, pool orange, inner product purple, neuron green, default blue), as pastel tints. */
const COLOURS = {
  convolution: '#F4A3A3',
  pooling: '#F8CB8A',
  fullyConnected: '#DDA8F0',
  inPlace: '#BDE8BD',
  other: '#AFC6F2',
  blob: '#E4E4E4',
} as const;

/** Output pixels per point (GraphViz sizes SVGs in points); 2 keeps 10-point text legible. */
const PNG_SCALE = 2;
/** Pixel budget of a PNG: a GoogLeNet picture stays below ~20 MP (and a few MB). */
const PNG_MAX_PIXELS = 16_000_000;
/** Longest PNG side, whatever the budget: very tall nets shrink rather than becoming 60 000-pixel strips. */
const PNG_MAX_SIDE = 20_000;

/**
 * GraphViz sizes boxes from built-in metrics of a few named fonts (a font list gets Times'); Verdana's
 * fit DejaVu Sans too, which is what a Linux renderer substitutes. The SVG then names fallbacks.
 */
const FONT = 'Verdana';
const SVG_FONTS = 'Verdana,DejaVu Sans,Bitstream Vera Sans,sans-serif';

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);
const isStrings = (value: unknown): value is string[] => Array.isArray(value) && value.every((v) => typeof v === 'string');
/** A short rendering of a bad value for an error message (JSON, cut at 80 characters). */
function show(value: unknown): string {
  if (typeof value !== 'object' || value === null) return String(value);
  try {
    return JSON.stringify(value).slice(0, 80);
  } catch {
    return Object.prototype.toString.call(value); // circular or BigInt-holding input
  }
}

function checkGraph(graph: NetworkGraph): void {
  if (!isObject(graph) || typeof graph.name !== 'string' || !Array.isArray(graph.layers)) {
    throw new Error(`Expected a NetworkGraph {name, layers} for graph but received ${show(graph)} of type ${typeof graph}`);
  }
  graph.layers.forEach((layer: GraphLayer, i) => {
    if (!isObject(layer) || typeof layer.name !== 'string' || typeof layer.type !== 'string') {
      throw new Error(`Expected a layer with string name and type for graph.layers[${i}] but received ${show(layer)} of type ${typeof layer}`);
    }
    for (const key of ['detail', 'bottoms', 'tops'] as const) {
      if (!isStrings(layer[key])) throw new Error(`Expected array of strings for graph.layers[${i}].${key} but received ${show(layer[key])} of type ${typeof layer[key]}`);
    }
  });
}

/** Text for inside a DOT quoted string: GraphViz reads `\\` as a backslash and `\"` as a quote; control characters become spaces. */
function escape(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f]/g, ' ').replace(/\\/g, '\\\\').replace(/"/g, '\\"');
}

/** A DOT quoted string of `lines`, joined by GraphViz's centred line break `\n`. */
function quote(...lines: string[]): string {
  return `"${lines.map(escape).join('\\n')}"`;
}

/** Whether a layer writes one of the blobs it reads (Caffe's in-place ReLU, Dropout, …). */
function isInPlace(layer: GraphLayer): boolean {
  return layer.tops.some((top) => layer.bottoms.includes(top));
}

function colourOf(layer: GraphLayer): string {
  if (isInPlace(layer)) return COLOURS.inPlace;
  if (/conv/i.test(layer.type)) return COLOURS.convolution;
  if (/pool/i.test(layer.type)) return COLOURS.pooling;
  if (layer.type === 'InnerProduct' || layer.type === 'Dense') return COLOURS.fullyConnected;
  return COLOURS.other;
}

/**
 * GraphViz DOT text for `graph`, top-down like caffe.draw: each layer a filled box labelled with its
 * name, `(type)` and detail lines; each blob an octagon; edges bottom blob → layer → top blob. An
 * in-place layer reuses its blob's node (edges both ways), as caffe.draw draws them. Node ids are
 * generated (`l3`, `b7`), so any layer or blob name is safe; labels are escaped.
 */
export function networkDot(graph: NetworkGraph): string {
  checkGraph(graph);
  const lines = [
    `digraph ${quote(graph.name || 'Net')} {`,
    '  graph [rankdir=TB, nodesep=0.25, ranksep=0.35, bgcolor=white];',
    `  node [fontname="${FONT}", fontsize=10, style=filled, penwidth=0.8];`,
    '  edge [color="#555555", arrowsize=0.6];',
  ];
  const blobs = new Map<string, string>();
  const blobId = (name: string): string => {
    let id = blobs.get(name);
    if (id === undefined) {
      id = `b${blobs.size}`;
      blobs.set(name, id);
      lines.push(`  ${id} [shape=octagon, fillcolor="${COLOURS.blob}", label=${quote(name)}];`);
    }
    return id;
  };
  graph.layers.forEach((layer, i) => {
    const inputs = layer.bottoms.map(blobId);
    lines.push(`  l${i} [shape=box, fillcolor="${colourOf(layer)}", label=${quote(layer.name, `(${layer.type})`, ...layer.detail)}];`);
    for (const id of inputs) lines.push(`  ${id} -> l${i};`);
    for (const top of layer.tops) lines.push(`  l${i} -> ${blobId(top)};`);
  });
  lines.push('}');
  return `${lines.join('\n')}\n`;
}

let vizInstance: Promise<Viz> | undefined;

/** The GraphViz wasm module, compiled on first use and kept (a failed start is retried next time). */
function viz(): Promise<Viz> {
  vizInstance ??= instance().catch((err: unknown) => {
    vizInstance = undefined;
    throw err;
  });
  return vizInstance;
}

async function render(dot: string): Promise<string> {
  return (await viz()).renderString(dot, { format: 'svg', engine: 'dot' });
}

/** GraphViz's root `<svg width="…pt" height="…pt"`, or null when it is not there. */
function svgRoot(svg: string): { tag: string; width: number; height: number } | null {
  const tag = /<svg\b[^>]*>/.exec(svg)?.[0] ?? '';
  const width = Number(/\swidth="([\d.]+)pt"/.exec(tag)?.[1]);
  const height = Number(/\sheight="([\d.]+)pt"/.exec(tag)?.[1]);
  return width > 0 && height > 0 ? { tag, width, height } : null;
}

/**
 * GraphViz's SVG resized for rasterising at {@link PNG_SCALE} px/pt, shrunk to the pixel and side
 * caps (imaging's `rasteriseSvg` turns it into the PNG; ml does not use sharp).
 */
export function pngSizedSvg(svg: string): string {
  const root = svgRoot(svg);
  if (!root) throw new Error('Expected GraphViz SVG with width and height in points but received none');
  const scale = Math.min(PNG_SCALE, Math.sqrt(PNG_MAX_PIXELS / (root.width * root.height)), PNG_MAX_SIDE / Math.max(root.width, root.height));
  const width = Math.max(1, Math.round(root.width * scale));
  const height = Math.max(1, Math.round(root.height * scale));
  // The size goes into the SVG in pixels (the viewBox scales the drawing), to be rendered at 72 dpi: sharp
  // scales SVGs by density/72 on top of librsvg's own unit conversion, so pt × density squares.
  return svg.replace(root.tag, root.tag.replace(/\swidth="[^"]*"/, ` width="${width}"`).replace(/\sheight="[^"]*"/, ` height="${height}"`));
}

/** Draws `graph` ({@link networkDot}) as an SVG document. Throws when GraphViz cannot lay the graph out. */
export async function networkSvg(graph: NetworkGraph): Promise<string> {
  const dot = networkDot(graph);
  let svg: string;
  try {
    svg = await render(dot);
  } catch {
    // a wasm trap ("null function or function signature mismatch") can strike a graph that the
    // same instance drew a moment before: the instance is dropped and the graph drawn once more
    // on a fresh one, so one trap does not fail the request or poison the ones after it
    vizInstance = undefined;
    try {
      svg = await render(dot);
    } catch (err) {
      vizInstance = undefined;
      throw new Error(`GraphViz could not draw network ${graph.name}: ${(err as Error).message}`, { cause: err });
    }
  }
  return svg.replaceAll(`font-family="${FONT}"`, `font-family="${SVG_FONTS}"`);
}

/** `[5, 5]` → `5×5`; with `squash`, equal sides print once (`stride 1`). */
function sides(value: unknown, squash = false): string | null {
  if (typeof value === 'number') return String(value);
  if (!Array.isArray(value) || value.length === 0 || !value.every((v) => typeof v === 'number')) return null;
  return squash && value.every((v) => v === value[0]) ? String(value[0]) : value.join('×');
}

/** The box's detail lines for one layer's config (filters, kernel/pool/stride/padding, units, activation, rate, input). */
function detailOf(config: Json): string[] {
  const lines: string[] = [];
  if (typeof config.filters === 'number') lines.push(`${config.filters} filters`);
  if (typeof config.units === 'number') lines.push(`${config.units} units`);
  const kernel = sides(config.kernel_size);
  const pool = sides(config.pool_size);
  const stride = sides(config.strides, true);
  const geometry = [kernel && `kernel ${kernel}`, pool && `pool ${pool}`, stride && `stride ${stride}`, typeof config.padding === 'string' && `pad ${config.padding}`];
  if (geometry.some(Boolean)) lines.push(geometry.filter(Boolean).join(' '));
  if (typeof config.activation === 'string' && config.activation !== 'linear') lines.push(`activation ${config.activation}`);
  if (typeof config.rate === 'number') lines.push(`rate ${config.rate}`);
  const input = config.batch_input_shape ?? config.batch_shape;
  if (Array.isArray(input) && input.length > 1) lines.push(`input ${input.slice(1).map((d) => d ?? '?').join('×')}`);
  if (Array.isArray(config.layers)) lines.push(`${config.layers.length} layers`);
  return lines;
}

/**
 * Names of the layers feeding a functional-model layer: TF.js / Keras 2 `inbound_nodes`
 * (`[[["dense_1", 0, 0, {}], …], …]`) or Keras 3 (`[{args: [{config: {keras_history: ["dense_1", 0, 0]}}]}]`).
 */
function inboundNames(value: unknown, into: string[] = []): string[] {
  if (Array.isArray(value)) {
    if (typeof value[0] === 'string' && typeof value[1] === 'number') into.push(value[0]);
    else for (const item of value) inboundNames(item, into);
  } else if (isObject(value)) {
    const history = value.keras_history;
    if (Array.isArray(history) && typeof history[0] === 'string') into.push(history[0]);
    else for (const item of Object.values(value)) inboundNames(item, into);
  }
  return into;
}

/** The `{class_name, config}` object inside a bare topology, `model.toJSON()` text, or model.json (`modelTopology`, `model_config`). */
function unwrapTopology(topology: unknown): { class_name: string; config: Json | unknown[] } {
  let value = topology;
  if (typeof value === 'string') {
    try {
      value = JSON.parse(value);
    } catch (err) {
      throw new Error('Expected a TF.js / Keras layers model as JSON but received text that is not JSON', { cause: err });
    }
  }
  const read = layersTopologyOf(value);
  if ('problem' in read) throw new Error(`Expected a TF.js / Keras layers model topology {class_name, config} but received ${show(value)} of type ${typeof value}`);
  return read.topology as { class_name: string; config: Json | unknown[] };
}

/**
 * A TF.js / Keras layers model (`model.toJSON(null, false)`, a model.json or its `modelTopology`;
 * Sequential or functional) as a {@link NetworkGraph}: one layer per entry of `config.layers`, its
 * only top its own name, its bottoms the layers feeding it (Sequential: the previous one), its type
 * the class name, its detail lines from the config. A nested model is one box.
 * Throws a plain Error for anything that is not such a topology.
 */
export function layersTopologyGraph(topology: unknown): NetworkGraph {
  const model = unwrapTopology(topology);
  const config = model.config;
  const entries = Array.isArray(config) ? config : config.layers;
  if (!Array.isArray(entries) || entries.length === 0) {
    throw new Error(`Expected a non-empty layers list in config.layers of the ${model.class_name} topology but received ${show(entries)} of type ${typeof entries}`);
  }
  const sequential = model.class_name === 'Sequential';
  let previous: string | null = null;
  const layers = entries.map((entry: unknown, i): GraphLayer => {
    if (!isObject(entry) || typeof entry.class_name !== 'string') {
      throw new Error(`Expected a layer {class_name, config} for config.layers[${i}] but received ${show(entry)} of type ${typeof entry}`);
    }
    const layerConfig = isObject(entry.config) ? entry.config : {};
    const name = typeof entry.name === 'string' ? entry.name : typeof layerConfig.name === 'string' ? layerConfig.name : `${entry.class_name.toLowerCase()}_${i + 1}`;
    const bottoms = sequential ? (previous === null ? [] : [previous]) : [...new Set(inboundNames(entry.inbound_nodes))];
    previous = name;
    return { name, type: entry.class_name, detail: detailOf(layerConfig), bottoms, tops: [name] };
  });
  const name = !Array.isArray(config) && typeof config.name === 'string' ? config.name : model.class_name;
  return { name, layers };
}
