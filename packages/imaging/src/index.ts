/**
 * @digits-ts/imaging: decode, normalise, resize and encode dataset images with DIGITS'
 * semantics (contract §6.5, §6.6). Pure functions over Buffers; no LMDB, no queues.
 */
export type { ImageEncoding, PrepareOptions, PreparedImage, RawImage, ResizeMode, SniffedType } from './types.ts';
export { configureSharp } from './sharp-config.ts';
export { decodeImage } from './decode.ts';
export { decodeLabelImage, type LabelImage, type LabelMode } from './label-image.ts';
export { toChannels } from './pixels.ts';
export { planResize, resizeImage, type ResizePlan } from './resize.ts';
export { encodeImage, JPEG_OPTIONS } from './encode.ts';
export { encodePng } from './png-encode.ts';
export { prepareImage } from './prepare.ts';
export { sniffImageType } from './sniff.ts';
export { readJpegInfo, type JpegInfo } from './jpeg-info.ts';
export { rasteriseSvg } from './svg.ts';
export { readSampleImage, resizeExample, SAMPLE_IMAGE_PATH, type ResizeExample } from './sample.ts';
