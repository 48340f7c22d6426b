/**
 * col2im: adds each patch row back onto the input pixels it came from. The input gradient of a
 * convolution is col2im(dy · Wᵀ); doing the scatter in JS lets the product itself be one XNNPACK
 * GEMM with no zero taps, where a transposed convolution would multiply the padding and the zeros
 * between strided pixels too.
 */
import type { PatchGeometry } from './patch-geometry.ts';

/**
 * Adds `images` images' worth of patch rows (`cols`, [images·oh·ow, fh·fw·ci]) into `dx` (NHWC,
 * zero-filled by the caller), starting at image `firstImage`.
 */
export function col2imAdd(cols: Float32Array, dx: Float32Array, g: PatchGeometry, firstImage: number, images: number): void {
  const { inHeight, inWidth, channels, outHeight, outWidth, filterHeight, filterWidth, strideHeight, strideWidth, padTop, padLeft } = g;
  const rowLength = filterHeight * filterWidth * channels;
  const lineLength = inWidth * channels;
  const tapRowLength = filterWidth * channels;
  let row = 0;
  for (let n = 0; n < images; n++) {
    const imageBase = (firstImage + n) * inHeight * lineLength;
    for (let oy = 0; oy < outHeight; oy++) {
      const top = oy * strideHeight - padTop;
      const iStart = Math.max(0, -top);
      const iEnd = Math.min(filterHeight, inHeight - top);
      for (let ox = 0; ox < outWidth; ox++, row += rowLength) {
        // Within one filter row, the taps that land inside the image are one contiguous run in
        // both the patch row and the image line.
        const left = ox * strideWidth - padLeft;
        const runStart = Math.max(0, -left) * channels;
        const runEnd = Math.min(filterWidth, inWidth - left) * channels;
        for (let i = iStart; i < iEnd; i++) {
          const src = row + i * tapRowLength;
          const dst = imageBase + (top + i) * lineLength + left * channels;
          for (let t = runStart; t < runEnd; t++) dx[dst + t] = dx[dst + t]! + cols[src + t]!;
        }
      }
    }
  }
}
