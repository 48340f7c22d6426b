/**
 * Which declarative format a `custom_network` text is in (§8.1, §14), and the layers topology
 * inside a JSON one. DIGITS ran TensorFlow networks as Python and Torch networks as Lua; we read
 * data only, so those are named and refused.
 */

export type NetworkFormat = 'layers-json' | 'prototxt';

export type DetectedFormat = { format: NetworkFormat } | { refused: string };

const SUPPORTED = 'submit a TF.js/Keras layers model as JSON or a Caffe prototxt';

/** Lines that only Lua (Torch) sources start with. */
const LUA = /^\s*(require\s*\(?\s*['"]|local\s+[A-Za-z_]|return\s+function\b|function\s+[A-Za-z_.:]+\s*\(|--\[\[)/m;
/** Lines that only Python sources start with. */
const PYTHON = /^\s*(import\s+[A-Za-z_]|from\s+[A-Za-z_.]+\s+import\b|def\s+[A-Za-z_]+\s*\(|class\s+[A-Za-z_]+.*:\s*$|@[A-Za-z_.]+)/m;

/**
 * Whether `text` looks like protobuf text format: after comments, it starts with a field name
 * followed by `:`, `{` or `<`. Cheap; parsing decides for real.
 */
export function looksLikePrototxt(text: string): boolean {
  const start = text.replace(/^(?:\s+|#[^\n]*(?:\n|$))*/, '');
  return /^[A-Za-z_][A-Za-z0-9_]*\s*(?::|\{|<)/.test(start);
}

/** The format of `text` by its first significant character and its statements. */
export function detectNetworkFormat(text: string): DetectedFormat {
  const trimmed = text.trimStart();
  if (trimmed.startsWith('{') || trimmed.startsWith('[')) return { format: 'layers-json' };
  if (LUA.test(text) || /\bnn\.(Sequential|Spatial\w+|Linear)\b/.test(text)) return { refused: `Lua (Torch) network definitions are code and are not run; ${SUPPORTED}` };
  if (PYTHON.test(text)) return { refused: `Python network definitions are code and are not run; ${SUPPORTED}` };
  if (looksLikePrototxt(text)) return { format: 'prototxt' };
  return { refused: `the network is neither JSON nor a Caffe prototxt; ${SUPPORTED}` };
}

/**
 * The layers model topology (`{class_name, config}`) inside `definition`: a bare topology, a
 * `model.toJSON()` string or a whole model.json. Otherwise why not — Lua, Python and prototxt
 * texts fail here; layer-level problems are the worker's to report when it builds the model.
 */
export function readLayersTopology(definition: string): { topology: Record<string, unknown> } | { problem: string } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(definition);
  } catch {
    return { problem: 'expected a TF.js layers model as JSON ({"class_name": "Sequential" | "Model", "config": …}); Lua and Python networks are not run' };
  }
  return layersTopologyOf(parsed);
}

/** The `{class_name, config}` topology inside parsed JSON: itself, a model.json's `modelTopology`, or Keras' `model_config`. */
export function layersTopologyOf(parsed: unknown): { topology: Record<string, unknown> } | { problem: string } {
  const top = parsed as Record<string, unknown> | null;
  const topology = (top && typeof top === 'object' && 'modelTopology' in top ? top.modelTopology : top) as Record<string, unknown> | null;
  const model = (topology && typeof topology === 'object' && 'model_config' in topology ? topology.model_config : topology) as Record<string, unknown> | null;
  if (!model || typeof model !== 'object' || typeof model.class_name !== 'string' || typeof model.config !== 'object' || model.config === null) {
    return { problem: 'expected a TF.js layers model topology with "class_name" and "config"' };
  }
  return { topology: model };
}
