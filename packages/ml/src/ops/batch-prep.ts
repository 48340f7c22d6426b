/**
 * A training or inference batch made on the device from the dataset's own bytes: uint8 images
 * (four to a 32-bit word) plus each image's crop corner and mirror flag in, float NHWC out with
 * the mean (at each pixel's source position, as Caffe subtracts it) removed. Uploading bytes moves
 * a quarter of the data of a float batch, and the JavaScript loop over every value is gone.
 */
import * as tf from '@tensorflow/tfjs-core';

export const BATCH_PREP = 'DigitsBatchPrep';

/** Source image size and the network's input size (the crop). */
export interface BatchPrepAttrs {
  height: number;
  width: number;
  channels: number;
  cropHeight: number;
  cropWidth: number;
}

/** Whether the current backend makes batches on the device. */
export const hasBatchPrep = (): boolean => tf.getKernel(BATCH_PREP, tf.getBackend()) !== undefined;

/**
 * The [n, cropHeight, cropWidth, channels] batch of `words` (n images' HWC bytes, packed four to
 * an int32), `corners` ([top, left, mirror] per image) and the HWC `mean` (or none).
 */
export function batchPrep(words: tf.Tensor1D, corners: tf.Tensor2D, mean: tf.Tensor | null, attrs: BatchPrepAttrs): tf.Tensor4D {
  const inputs: tf.NamedTensorMap = mean ? { words, corners, mean } : { words, corners };
  return tf.engine().runKernel(BATCH_PREP, inputs, attrs as unknown as tf.NamedAttrMap) as tf.Tensor4D;
}
