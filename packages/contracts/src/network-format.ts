/**
 * Which declarative format a `custom_network` text is in (§8.1, §14). DIGITS ran TensorFlow
 * networks as Python and Torch networks as Lua; we read data only, so those are named and refused.
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
