/**
 * A JPEG decoded, scaled and cropped in one libvips pipeline (contract §6.5, §6.6): the pixels
 * leave libvips once, at the dataset size, instead of crossing into JS at full size and going back
 * for the resize (a photo's full-size pixels are several times the result). Taken only where it
 * gives the pixels of decodeImage → toChannels → resizeImage (the very bytes, unless the image
 * shrinks 4× or more: see shrink-on-load below); other images get null and take that path.
 */
import sharp, { type Metadata } from 'sharp';
import { assert } from '@digits-ts/contracts';
import { toChannels } from './pixels.ts';
import { padNoise, planResize, type ResizePlan } from './resize.ts';
import { FAIL_ON, refuseUnsupportedMode, toAppError } from './sharp-decode.ts';
import type { RawImage, ResizeMode } from './types.ts';

export interface ResizedDecodeOptions {
  width: number;
  height: number;
  channels: 1 | 3;
  mode: ResizeMode;
  maxPixels: number;
  random?: () => number;
}

/**
 * Whether one pipeline reproduces the general path exactly: 8-bit sRGB or gray without alpha (alpha
 * is composited over white in JS, PIL's way), not colour into a gray dataset (PIL's luma comes
 * before the resize), and no EXIF rotation (scaling before rotating rounds in another order).
 */
function fitsOnePipeline(meta: Metadata, channels: 1 | 3): boolean {
  const upright = meta.orientation === undefined || meta.orientation === 1;
  if (meta.format !== 'jpeg' || meta.depth !== 'uchar' || meta.hasAlpha || !upright) return false;
  return meta.space === 'b-w' || (meta.space === 'srgb' && channels === 3);
}

/** The scaled, cropped pixels of `pipeline`'s JPEG (`grey`: one band) per the §6.5 plan. */
async function scaleInPipeline(pipeline: sharp.Sharp, meta: Metadata, grey: boolean, o: ResizedDecodeOptions): Promise<{ img: RawImage; plan: ResizePlan | null }> {
  const plan = planResize(meta.width, meta.height, o.width, o.height, o.mode);
  if (plan) {
    // JPEG shrink-on-load only where at least 2× is left for the linear reduce (shrinks of 4× or
    // more): a 2000-px photo decodes at half size or less, in half the time. The pixels then move
    // by under a level on average, and stay as close to PIL's bilinear resize as ours were;
    // sharp's 'fast' variant (any 2× shrink) leaves moiré, up to 35 levels off (measured).
    pipeline.resize(plan.resizeWidth, plan.resizeHeight, { kernel: 'linear', fit: 'fill', fastShrinkOnLoad: false });
    const { crop } = plan;
    if (crop) pipeline.extract(crop.axis === 'x' ? { left: crop.start, top: 0, width: o.width, height: plan.resizeHeight } : { left: 0, top: crop.start, width: plan.resizeWidth, height: o.height });
  }
  const channels = grey ? 1 : 3;
  const { data, info } = await pipeline.toColourspace(grey ? 'b-w' : 'srgb').raw().toBuffer({ resolveWithObject: true });
  assert(info.channels === channels, () => `a ${meta.space} JPEG decoded to ${info.channels} channels`);
  return { img: { data, width: info.width, height: info.height, channels }, plan };
}

/**
 * The JPEG `bytes` at width × height × channels as {@link prepareImage}'s general path makes it,
 * or null when this image needs that path. Throws what decodeImage throws.
 */
export async function decodeResizedJpeg(bytes: Buffer, o: ResizedDecodeOptions): Promise<RawImage | null> {
  let scaled: Awaited<ReturnType<typeof scaleInPipeline>>;
  try {
    const pipeline = sharp(bytes, { failOn: FAIL_ON, limitInputPixels: o.maxPixels });
    const meta = await pipeline.metadata();
    refuseUnsupportedMode(meta);
    if (!fitsOnePipeline(meta, o.channels)) return null;
    scaled = await scaleInPipeline(pipeline, meta, meta.space === 'b-w', o);
  } catch (err) {
    throw toAppError(err);
  }
  // gray into colour: replicating after the scale gives the same bytes as before it
  let img = toChannels(scaled.img, o.channels);
  if (scaled.plan?.pad) img = padNoise(img, scaled.plan.pad, o.random ?? Math.random);
  return img;
}
