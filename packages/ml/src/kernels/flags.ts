/** tfjs environment flags of our wasm kernels (set with `tf.env().set`). */
import { env } from '@tensorflow/tfjs-core';

/**
 * Most floats one batch slice of patch rows (im2col/col2im) may hold; bigger batches go through
 * in slices. 2^24 floats = 64 MiB of wasm heap.
 */
export const PATCH_ELEMENTS_FLAG = 'WASM_TRAINING_MAX_PATCH_ELEMENTS';

env().registerFlag(PATCH_ELEMENTS_FLAG, () => 1 << 24);

/** The current patch-slice limit. */
export function maxPatchElements(): number {
  return env().getNumber(PATCH_ELEMENTS_FLAG);
}
