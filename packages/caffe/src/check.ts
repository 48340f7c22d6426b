/**
 * The form-time check of a Caffe `custom_network` (§8.1: DIGITS answered "Bad network: …"):
 * the text parses as a (V2) NetParameter and uses only layer types we build. The worker's
 * builder checks the rest (bottoms, shapes) when the job starts.
 */
import { isAppError } from '@digits-ts/contracts';
import { parseCaffeNet } from './net.ts';

/** Layers the dataset feeds (top[0] the image, top[1] the label). */
export const CAFFE_FEED_TYPES = ['Data', 'HDF5Data', 'Input'] as const;
/** Layers that read the label blob. */
export const CAFFE_LABEL_TYPES = ['SoftmaxWithLoss', 'EuclideanLoss', 'Accuracy', 'L1Loss', 'DetectNetTransformation', 'ScoreDetections'] as const;
/** Post-processing of outputs outside the TF.js graph (DetectNet's box clustering, §10.6). */
export const CAFFE_POSTPROCESS_TYPES = ['ClusterDetections'] as const;
/** Layers that compute (each has a TF.js mapping in the ml package; a test holds the two lists together). */
export const CAFFE_COMPUTE_TYPES = [
  'Convolution', 'Pooling', 'InnerProduct', 'ReLU', 'Sigmoid', 'TanH', 'Dropout', 'LRN', 'Concat', 'Flatten',
  'Eltwise', 'BatchNorm', 'Scale', 'Power', 'Softmax', 'Deconvolution', 'Crop',
] as const;
/** Every layer type a Caffe custom network may use. */
export const CAFFE_LAYER_TYPES: readonly string[] = [...CAFFE_FEED_TYPES, ...CAFFE_COMPUTE_TYPES, ...CAFFE_LABEL_TYPES, ...CAFFE_POSTPROCESS_TYPES];

/** Why `text` is not a usable Caffe network (message starting `Bad network:`), or null. */
export function prototxtProblem(text: string): string | null {
  try {
    const net = parseCaffeNet(text);
    const unsupported = net.layers.find((layer) => !CAFFE_LAYER_TYPES.includes(layer.type));
    if (unsupported) return `Bad network: layer "${unsupported.name}" has type "${unsupported.type}", which is not supported (supported: ${CAFFE_LAYER_TYPES.join(', ')})`;
    if (net.layers.length === 0) return 'Bad network: the network has no layers';
    return null;
  } catch (err) {
    if (isAppError(err)) return err.message;
    throw err;
  }
}
