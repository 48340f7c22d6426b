/**
 * A deploy.prototxt (no Data layers, no labels, no loss) made trainable, so a pretrained Caffe
 * model can be fine-tuned like any custom network (§8.1 method=pretrained): DIGITS' users bring
 * deploy nets, and training needs a loss on the logits. Pure text: the layers are appended.
 */
import { parseCaffeNet } from './net.ts';
import { FIELDS, ParamReader } from './params.ts';
import { parsePrototxt } from './prototxt.ts';

const LOSS_TYPES = ['SoftmaxWithLoss', 'EuclideanLoss'];

/**
 * `text` with a SoftmaxWithLoss (and a val-stage Accuracy) on the blob the final Softmax reads
 * (else on the last layer's top), or `text` itself when it already has a loss layer. Throws
 * NETWORK_INVALID for text that does not parse or has no layer to put a loss on.
 */
export function trainableCaffeText(text: string): string {
  const net = parseCaffeNet(text);
  if (net.layers.some((l) => LOSS_TYPES.includes(l.type))) return text;
  const softmax = [...net.layers].reverse().find((l) => l.type === 'Softmax' && l.bottom.length === 1);
  const logits = softmax?.bottom[0] ?? net.layers[net.layers.length - 1]?.top[0];
  if (logits === undefined) return text; // the builder says what is missing
  const blob = JSON.stringify(logits);
  return `${text}
layer { name: "loss" type: "SoftmaxWithLoss" bottom: ${blob} bottom: "label" top: "loss" exclude { stage: "deploy" } }
layer { name: "accuracy" type: "Accuracy" bottom: ${blob} bottom: "label" top: "accuracy" include { stage: "val" } }
`;
}

/**
 * The image input a deploy net declares, [channels, height, width]: the first `input_shape`,
 * four `input_dim`s, or an Input layer's shape; null when it declares none (a train_val net).
 */
export function declaredInputShape(text: string): [number, number, number] | null {
  const net = parseCaffeNet(text); // checks the text, so the reads below only pick values
  const message = parsePrototxt(text);
  const root = new ParamReader(message, 'the network', [...message.fields.keys()]);
  const fromDims = (dims: number[]) => (dims.length === 4 ? [dims[1]!, dims[2]!, dims[3]!] as [number, number, number] : null);
  const shape = root.messages('input_shape', FIELDS.blobShape)[0];
  if (shape) return fromDims(shape.ints('dim', 0));
  const dims = root.ints('input_dim', 0);
  if (dims.length > 0) return fromDims(dims);
  const input = net.layers.find((l) => l.type === 'Input');
  const inputShape = input?.param('input_param', FIELDS.input).messages('shape', FIELDS.blobShape)[0];
  return inputShape ? fromDims(inputShape.ints('dim', 0)) : null;
}

/**
 * `text` whose classifier — the InnerProduct producing what the SoftmaxWithLoss reads — gives
 * `classes` outputs: fine-tuning a pretrained net on a dataset with another number of classes
 * (its weights for that layer then no longer fit and start fresh, as DIGITS' renamed layer).
 * The number is replaced where it is written; a classifier without num_output already takes the
 * dataset's class count. Unchanged when there is no such layer.
 */
export function withClassifierWidth(text: string, classes: number): string {
  const net = parseCaffeNet(text);
  const loss = net.layers.find((l) => l.type === 'SoftmaxWithLoss');
  const logits = loss?.bottom[0];
  const classifier = [...net.layers].reverse().find((l) => l.type === 'InnerProduct' && l.top[0] === logits);
  const param = classifier?.message.fields.get('inner_product_param')?.[0];
  const width = param?.kind === 'message' ? param.fields.get('num_output')?.[0] : undefined;
  if (width?.kind !== 'number' || width.value === classes) return text;
  const lines = text.split('\n');
  const offset = lines.slice(0, width.at.line - 1).reduce((n, l) => n + l.length + 1, 0) + width.at.column - 1;
  if (text.slice(offset, offset + width.text.length) !== width.text) return text;
  return `${text.slice(0, offset)}${classes}${text.slice(offset + width.text.length)}`;
}
