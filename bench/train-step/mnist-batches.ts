/** MNIST train images as float batches for the bench: [n, 28, 28, 1] pixels 0–255 and one-hot labels. */
import { readMnist } from '../../scripts/mnist.ts';

/** One batch's worth of pixels and one-hot labels, as plain arrays (so they can cross threads). */
export interface HostBatch {
  pixels: Float32Array;
  oneHot: Float32Array;
  size: number;
}

/** Cycles through the 60 000 train images in file order, `batchSize` at a time. */
export async function mnistBatches(batchSize: number): Promise<(step: number) => HostBatch> {
  const mnist = await readMnist('train');
  const perBatch = Math.floor(mnist.count / batchSize);
  const side = 28 * 28;
  return (step) => {
    const first = (step % perBatch) * batchSize;
    const pixels = new Float32Array(batchSize * side);
    const oneHot = new Float32Array(batchSize * 10);
    for (let i = 0; i < batchSize; i++) {
      const image = mnist.images.subarray((first + i) * side, (first + i + 1) * side);
      for (let p = 0; p < side; p++) pixels[i * side + p] = image[p]!;
      oneHot[i * 10 + mnist.labels[first + i]!] = 1;
    }
    return { pixels, oneHot, size: batchSize };
  };
}
