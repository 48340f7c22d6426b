/** How an image is fitted to the dataset size (contract §6.5). */
export type ResizeMode = 'crop' | 'squash' | 'fill' | 'half_crop';

/** How prepared pixels are stored: raw, or re-encoded as PNG / JPEG (contract §6.4). */
export type ImageEncoding = 'none' | 'png' | 'jpg';

/** Decoded pixels: HWC, uint8, RGB (3 channels) or grayscale L (1 channel). */
export interface RawImage {
  data: Buffer;
  width: number;
  height: number;
  channels: 1 | 3;
}

/** Options of {@link prepareImage}: the dataset's image shape and storage. */
export interface PrepareOptions {
  /** Target width in pixels. */
  width: number;
  /** Target height in pixels. */
  height: number;
  /** Target channel count: 1 = grayscale (PIL luma), 3 = RGB. */
  channels: 1 | 3;
  resizeMode: ResizeMode;
  encoding: ImageEncoding;
  /** Largest accepted width × height of the input; larger images are refused before decoding. */
  maxPixels: number;
  /** Uniform source in [0, 1) for fill / half_crop noise; default Math.random. */
  random?: () => number;
  /** Refuse an image of another size instead of resizing it (generic inference's `dont_resize`). */
  requireSize?: boolean;
}

/** What {@link prepareImage} produced. */
export interface PreparedImage {
  /** The pixels at the target size and channel count. */
  pixels: RawImage;
  /** PNG / JPEG bytes of `pixels`, or null for encoding 'none'. */
  encoded: Buffer | null;
  /** True when `encoded` is the input bytes themselves (a PNG already in the target shape). */
  reused: boolean;
}

/** Image container types recognised from magic bytes. */
export type SniffedType = 'png' | 'jpeg' | 'bmp' | 'ppm' | 'pgm' | 'gif' | 'webp' | 'tiff';
