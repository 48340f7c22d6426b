/**
 * A JPEG decoded, scaled and cropped in one libvips pipeline (contract §6.5, §6.6): the pixels
 * leave libvips once, at the dataset size, instead of crossing into JS at full size and going back
 * for the resize (a photo's full-size pixels are several times the result). Taken only where it
 * gives the pixels of decodeImage → toChannels → resizeImage (the very bytes, unless the image
 * shrinks 4× or more: see shrink-on-load below); other images get null and take that path.
 */
import sharp, { type Metadata, type Sharp } from 'sharp';
import { assert } from '@digits-ts/contracts';
import { toChannels } from './pixels.ts';
import { padNoise, planResize, type ResizePlan } from './resize.ts';
import { readJpegInfo } from './jpeg-info.ts';
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

/** What the one pipeline needs of a JPEG: its stored size and whether it is gray. */
interface Frame {
  width: number;
  height: number;
  grey: boolean;
}

/**
 * Whether one pipeline reproduces the general path: 8-bit colour or gray (sharp would read other
 * depths and CMYK through more conversions), not colour into a gray dataset (PIL's luma comes before
 * the resize), and no EXIF rotation (scaling before rotating rounds in another order).
 */
function fits(grey: boolean, colour: boolean, precision8: boolean, upright: boolean, channels: 1 | 3): boolean {
  return precision8 && upright && (grey || (colour && channels === 3));
}

/** The JPEG's frame when one pipeline fits it, else null: from its header bytes, or sharp's reading of them. */
async function frameOf(bytes: Buffer, pipeline: Sharp, channels: 1 | 3): Promise<Frame | null> {
  const info = readJpegInfo(bytes);
  if (info) {
    const grey = info.components === 1;
    return fits(grey, info.components === 3, info.precision === 8, info.orientation === 1, channels) ? { width: info.width, height: info.height, grey } : null;
  }
  const meta: Metadata = await pipeline.metadata();
  refuseUnsupportedMode(meta);
  const grey = meta.space === 'b-w';
  const upright = meta.orientation === undefined || meta.orientation === 1;
  const plain = meta.format === 'jpeg' && !meta.hasAlpha && meta.depth === 'uchar';
  return plain && fits(grey, meta.space === 'srgb', true, upright, channels) ? { width: meta.width, height: meta.height, grey } : null;
}

/** The scaled, cropped pixels of `pipeline`'s JPEG per the §6.5 plan. */
async function scaleInPipeline(pipeline: Sharp, frame: Frame, o: ResizedDecodeOptions): Promise<{ img: RawImage; plan: ResizePlan | null }> {
  const plan = planResize(frame.width, frame.height, o.width, o.height, o.mode);
  if (plan) {
    // JPEG shrink-on-load only where at least 2× is left for the linear reduce (shrinks of 4× or
    // more): a 2000-px photo decodes at half size or less, in half the time. The pixels then move
    // by under a level on average, and stay as close to PIL's bilinear resize as ours were;
    // sharp's 'fast' variant (any 2× shrink) leaves moiré, up to 35 levels off (measured).
    pipeline.resize(plan.resizeWidth, plan.resizeHeight, { kernel: 'linear', fit: 'fill', fastShrinkOnLoad: false });
    const { crop } = plan;
    if (crop) pipeline.extract(crop.axis === 'x' ? { left: crop.start, top: 0, width: o.width, height: plan.resizeHeight } : { left: 0, top: crop.start, width: plan.resizeWidth, height: o.height });
  }
  const channels = frame.grey ? 1 : 3;
  const { data, info } = await pipeline.toColourspace(frame.grey ? 'b-w' : 'srgb').raw().toBuffer({ resolveWithObject: true });
  assert(info.channels === channels, () => `a ${channels}-channel JPEG decoded to ${info.channels} channels`);
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
    const frame = await frameOf(bytes, pipeline, o.channels);
    if (!frame) return null;
    scaled = await scaleInPipeline(pipeline, frame, o);
  } catch (err) {
    throw toAppError(err);
  }
  // gray into colour: replicating after the scale gives the same bytes as before it
  let img = toChannels(scaled.img, o.channels);
  if (scaled.plan?.pad) img = padNoise(img, scaled.plan.pad, o.random ?? Math.random);
  return img;
}
