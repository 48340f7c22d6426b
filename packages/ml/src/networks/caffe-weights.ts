/**
 * A `.caffemodel`'s learned blobs (read by caffemodel.ts) set as the weights of a network we
 * built from Caffe prototxt or as a standard network: Caffe's NCHW layouts become ours (NHWC).
 * - Convolution [out, in/group, kh, kw] → [kh, kw, in/group, out];
 * - Deconvolution [in, out/group, kh, kw] → [kh, kw, out/group, in];
 * - InnerProduct [out, in] → [in, out]; reading a flattened C×H×W blob, its columns are reordered
 *   to our H×W×C flattening;
 * - a layer that reads the 3-channel image directly gets its input channels reversed: Caffe (and
 *   DIGITS) feed B,G,R planes, we feed R,G,B.
 * Every layer with weights must get them and every blob must land, so nothing is half loaded.
 */
import { badWeights, type CaffeBlob, type CaffeModel, type CaffeModelLayer } from './caffemodel.ts';
import { tf, type tfl } from '../tf.ts';
import { builtLayerName } from './naming.ts';

type Layer = tfl.layers.Layer;

/** Which Caffe layers `loadCaffeWeights` set (in file order). */
export interface CaffeWeightsResult {
  loaded: string[];
}

/** Our layer classes that hold Caffe-learned weights, and the Caffe type each must come from. */
const CAFFE_TYPE_OF: Readonly<Record<string, string>> = { Conv2D: 'Convolution', GroupConv2D: 'Convolution', Dense: 'InnerProduct', CaffeDeconvolution: 'Deconvolution' };

/** Layers that keep every value in place (elementwise, or padding around the map): weights after them see the same layout. */
const IN_PLACE = new Set(['Rescaling', 'CaffePower', 'Activation', 'ReLU', 'LeakyReLU', 'Dropout', 'ZeroPadding2D']);

/** The single layer feeding `layer`, if it has exactly one. */
function feeder(layer: Layer): Layer | null {
  const inbound = layer.inboundNodes[0]?.inboundLayers ?? [];
  return inbound.length === 1 ? inbound[0]! : null;
}

/** Walks back over in-place layers: the first layer that changes the layout (an InputLayer for the image). */
function source(layer: Layer): Layer | null {
  let x = feeder(layer);
  while (x && IN_PLACE.has(x.getClassName())) x = feeder(x);
  return x;
}

const readsImage = (layer: Layer) => source(layer)?.getClassName() === 'InputLayer';

/** [height, width, channels] of the feature map a Dense layer's input was flattened from, or null. */
function flattenedFrom(dense: Layer): [number, number, number] | null {
  const flat = source(dense);
  if (flat?.getClassName() !== 'Flatten') return null;
  const shape = flat.inboundNodes[0]!.inputTensors[0]!.shape;
  return shape.length === 4 ? [shape[1]!, shape[2]!, shape[3]!] : null;
}

/** Shapes compared as Caffe does for legacy 4-D blobs: leading 1s do not count. */
function sameShape(actual: number[], expected: number[]): boolean {
  const strip = (s: number[]) => s.slice(Math.min(s.findIndex((d) => d !== 1) >>> 0, s.length));
  const [a, e] = [strip(actual), strip(expected)];
  return a.length === e.length && a.every((d, i) => d === e[i]);
}

const shown = (shape: number[]) => `[${shape.join(', ')}]`;

/** One layer's values in our layout, ready for setWeights. */
interface Assignment {
  name: string;
  layer: Layer;
  values: { data: Float32Array; caffeShape: number[]; toOurs: (t: tf.Tensor) => tf.Tensor }[];
}

function plan(layer: Layer, source: CaffeModelLayer): Assignment {
  const where = `layer ${JSON.stringify(source.name)}`;
  const expectedType = CAFFE_TYPE_OF[layer.getClassName()];
  if (expectedType === undefined) {
    throw badWeights(`${where} sets a ${layer.getClassName()} layer of the network, which cannot take Caffe weights yet (Convolution, Deconvolution, InnerProduct)`);
  }
  if (source.type !== expectedType) throw badWeights(`${where} is a ${source.type || 'typeless layer'} in the weights file but an ${expectedType} in the network`);
  const ours = layer.weights.map((w) => w.shape as number[]);
  const [kernel, bias] = ours as [number[], number[] | undefined];
  if (source.blobs.length !== ours.length) {
    throw badWeights(`${where} has ${source.blobs.length} blobs but the network's ${expectedType} has ${ours.length} (${bias ? 'weights and bias' : 'weights, no bias'})`);
  }
  const flip = readsImage(layer);
  let caffeKernel: number[];
  let toOurs: (t: tf.Tensor) => tf.Tensor;
  if (expectedType === 'Convolution') {
    const [kh, kw, cin, out] = kernel as [number, number, number, number];
    caffeKernel = [out, cin, kh, kw];
    toOurs = (t) => tf.transpose(flip && cin === 3 ? tf.reverse(t, 1) : t, [2, 3, 1, 0]);
  } else if (expectedType === 'Deconvolution') {
    const [kh, kw, outPerGroup, cin] = kernel as [number, number, number, number];
    caffeKernel = [cin, outPerGroup, kh, kw];
    toOurs = (t) => tf.transpose(flip && cin === 3 ? tf.reverse(t, 0) : t, [2, 3, 1, 0]);
  } else {
    const [features, out] = kernel as [number, number];
    const map = flattenedFrom(layer);
    caffeKernel = [out, features];
    toOurs = map === null
      ? (t) => tf.transpose(t)
      : (t) => {
        const [h, w, c] = map;
        const planes = tf.reshape(t, [out, c, h, w]);
        return tf.reshape(tf.transpose(flip && c === 3 ? tf.reverse(planes, 1) : planes, [2, 3, 1, 0]), [features, out]);
      };
  }
  const blobs: [CaffeBlob, number[]][] = [[source.blobs[0]!, caffeKernel]];
  if (bias) blobs.push([source.blobs[1]!, bias]);
  blobs.forEach(([blob, shape], i) => {
    if (!sameShape(blob.shape, shape)) {
      throw badWeights(`${where} blob ${i} (${i === 0 ? 'weights' : 'bias'}) has shape ${shown(blob.shape)} but the network needs ${shown(shape)}`);
    }
  });
  return {
    name: source.name,
    layer,
    values: blobs.map(([blob, shape], i) => ({ data: blob.data, caffeShape: shape, toOurs: i === 0 ? toOurs : (t) => t })),
  };
}

/**
 * Sets `model`'s weights from a `.caffemodel` (layers matched by name, as Caffe's
 * CopyTrainedLayersFrom does). Throws CHECKPOINT_INVALID naming the layer when a weighted layer
 * of the file has no counterpart in the network, a weighted layer of the network has no blobs in
 * the file, types or blob shapes disagree, or a layer type cannot take Caffe weights; the model is
 * left untouched then.
 */
export function loadCaffeWeights(model: tfl.LayersModel, caffe: CaffeModel): CaffeWeightsResult {
  const byName = new Map(model.layers.map((l) => [l.name, l]));
  const used = new Set<Layer>();
  const assignments: Assignment[] = [];
  for (const source of caffe.layers) {
    if (source.blobs.length === 0) continue;
    const layer = byName.get(builtLayerName(source.name));
    if (!layer || layer.weights.length === 0) {
      throw badWeights(`layer ${JSON.stringify(source.name)} (${source.type}) has blobs but the network has no such layer with weights`);
    }
    if (used.has(layer)) throw badWeights(`layer ${JSON.stringify(source.name)} appears twice with blobs`);
    used.add(layer);
    assignments.push(plan(layer, source));
  }
  const missing = model.layers.find((l) => l.weights.length > 0 && !used.has(l));
  if (missing) throw badWeights(`the network's layer ${JSON.stringify(missing.name)} has weights but the file has no blobs for it`);
  for (const { layer, values } of assignments) {
    tf.tidy(() => layer.setWeights(values.map(({ data, caffeShape, toOurs }) => toOurs(tf.tensor(data, caffeShape)))));
  }
  return { loaded: assignments.map((a) => a.name) };
}
