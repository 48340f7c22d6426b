/**
 * Batches as input tensors for training, validation and inference: made on the device from the
 * dataset's bytes where the backend can (`ops/batch-prep.ts`: webgpu), else filled in JavaScript
 * (`fillBatch`). Augmentations other than crop and mirror, and whitening, stay in JavaScript.
 * Both ways draw the same random numbers in the same order, so a seed gives the same batches.
 */
import { batchPrep, hasBatchPrep } from '../ops/batch-prep.ts';
import { tf } from '../tf.ts';
import { augments } from './augment.ts';
import { fillBatch, inputShapeOf, placement, type BatchOptions } from './fill.ts';
import { targetOf, type ImageShape, type Samples } from './samples.ts';

export class BatchFeed {
  /** Made on the device (else in JavaScript). */
  readonly onDevice: boolean;
  private readonly floats: Float32Array | null;
  private readonly bytes: Uint8Array | null;
  private readonly corners: Int32Array;
  private mean: tf.Tensor | null = null;

  /** For batches of up to `capacity` images of `shape` prepared by `opts`. */
  constructor(shape: ImageShape, private readonly opts: BatchOptions, capacity: number) {
    this.onDevice = hasBatchPrep() && !(opts.train && augments(opts.augmentation)) && !opts.augmentation.whitening;
    const [h, w, c] = inputShapeOf(shape, opts.crop);
    // whole source images, padded to whole 32-bit words
    this.bytes = this.onDevice ? new Uint8Array(Math.ceil((capacity * shape.height * shape.width * shape.channels) / 4) * 4) : null;
    this.floats = this.onDevice ? null : new Float32Array(capacity * h * w * c);
    this.corners = new Int32Array(capacity * 3);
  }

  /** The input tensor of the samples at `indices` (dispose it, or make it in a tidy); fills `labels` and `targets`. */
  input(samples: Samples, indices: ArrayLike<number>, labels: Int32Array, targets?: Float32Array): tf.Tensor4D {
    const n = indices.length;
    const [h, w, c] = inputShapeOf(samples, this.opts.crop);
    if (!this.onDevice) {
      fillBatch(samples, indices, this.opts, this.floats!, labels, targets);
      return tf.tensor4d(this.floats!.subarray(0, n * h * w * c), [n, h, w, c]);
    }
    const size = samples.height * samples.width * samples.channels;
    for (let b = 0; b < n; b++) {
      const index = indices[b]!;
      labels[b] = samples.labels[index]!;
      if (targets) targets.set(targetOf(samples, index), b * (samples.targetSize ?? 1));
      const { top, left, mirror } = placement(samples, this.opts);
      this.corners.set([top, left, mirror ? 1 : 0], b * 3);
      this.bytes!.set(samples.pixels.subarray(index * size, (index + 1) * size), b * size);
    }
    this.mean ??= this.opts.mean ? tf.keep(tf.tensor1d(this.opts.mean)) : null;
    return tf.tidy(() => {
      const words = tf.tensor1d(new Int32Array(this.bytes!.buffer, 0, Math.ceil((n * size) / 4)), 'int32');
      const corners = tf.tensor2d(this.corners.subarray(0, n * 3), [n, 3], 'int32');
      return batchPrep(words, corners, this.mean, { height: samples.height, width: samples.width, channels: samples.channels, cropHeight: h, cropWidth: w });
    });
  }

  dispose(): void {
    this.mean?.dispose();
    this.mean = null;
  }
}
