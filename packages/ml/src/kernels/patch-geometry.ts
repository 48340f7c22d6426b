/**
 * The geometry shared by im2col, col2im and pooling windows: how output pixels map to patches of
 * an NHWC input. A patch row holds fh·fw·ci values in (filter row, filter column, channel) order,
 * which is also the layout of an HWIO filter seen as a [fh·fw·ci, co] matrix.
 */
import type { backend_util } from '@tensorflow/tfjs-core';
import { maxPatchElements } from './flags.ts';

/** Sizes and offsets of a 2-D convolution, as plain numbers for tight loops. */
export interface PatchGeometry {
  inHeight: number;
  inWidth: number;
  channels: number;
  outHeight: number;
  outWidth: number;
  filterHeight: number;
  filterWidth: number;
  strideHeight: number;
  strideWidth: number;
  padTop: number;
  padLeft: number;
}

/** The patch geometry of a tfjs `Conv2DInfo` (dilation 1). */
export function patchGeometry(info: backend_util.Conv2DInfo): PatchGeometry {
  return {
    inHeight: info.inHeight,
    inWidth: info.inWidth,
    channels: info.inChannels,
    outHeight: info.outHeight,
    outWidth: info.outWidth,
    filterHeight: info.filterHeight,
    filterWidth: info.filterWidth,
    strideHeight: info.strideHeight,
    strideWidth: info.strideWidth,
    padTop: info.padInfo.top,
    padLeft: info.padInfo.left,
  };
}

/** Values in one patch row. */
export function patchSize(g: PatchGeometry): number {
  return g.filterHeight * g.filterWidth * g.channels;
}

/**
 * Images whose patch matrix (rows = output pixels, columns = `rowLength`) fits in the
 * WASM_TRAINING_MAX_PATCH_ELEMENTS budget at once; at least one, at most the batch.
 */
export function imagesPerSlice(info: backend_util.Conv2DInfo, rowLength: number): number {
  const rowsPerImage = info.outHeight * info.outWidth;
  return Math.max(1, Math.min(info.batchSize, Math.floor(maxPatchElements() / (rowsPerImage * rowLength))));
}
