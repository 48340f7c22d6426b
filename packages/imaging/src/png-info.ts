import { crc32 } from 'node:zlib';
import { Errors } from '@digits-ts/contracts';

/** PNG colour types (IHDR byte 9). */
export const PNG_COLOUR = { GREY: 0, RGB: 2, PALETTE: 3, GREY_ALPHA: 4, RGBA: 6 } as const;

const VALID_DEPTHS: Record<number, readonly number[]> = {
  0: [1, 2, 4, 8, 16],
  2: [8, 16],
  3: [1, 2, 4, 8],
  4: [8, 16],
  6: [8, 16],
};
const CHANNELS_OF: Record<number, number> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };
/** Largest chunk length the PNG spec allows (2^31 - 1). */
const MAX_CHUNK = 0x7fffffff;

/** What the chunk walk of a PNG learned, before any pixel is inflated. */
export interface PngInfo {
  width: number;
  height: number;
  bitDepth: number;
  colourType: number;
  /** Samples per pixel as stored (palette = 1). */
  storedChannels: number;
  interlaced: boolean;
  /** [start, end) byte ranges of the IDAT payloads (the zlib stream, in order). */
  idat: ReadonlyArray<readonly [number, number]>;
  /** Ancillary chunk types present, e.g. tRNS, iCCP, eXIf, acTL. */
  ancillary: ReadonlySet<string>;
}

function fail(reason: string, cause?: unknown): never {
  throw Errors.IMAGE_DECODE_FAILED(`PNG could not be decoded: ${reason}`, { cause, details: { format: 'png' } });
}

function readIhdr(bytes: Buffer, at: number, length: number): Omit<PngInfo, 'idat' | 'ancillary'> {
  if (length !== 13) fail(`expected a 13-byte IHDR but found ${length} bytes`);
  const width = bytes.readUInt32BE(at);
  const height = bytes.readUInt32BE(at + 4);
  const bitDepth = bytes[at + 8] ?? 0;
  const colourType = bytes[at + 9] ?? 0;
  if (width === 0 || height === 0 || width > MAX_CHUNK || height > MAX_CHUNK) fail(`invalid size ${width}x${height}`);
  if (!VALID_DEPTHS[colourType]?.includes(bitDepth)) fail(`invalid bit depth ${bitDepth} for colour type ${colourType}`);
  if (bytes[at + 10] !== 0 || bytes[at + 11] !== 0) fail('unknown compression or filter method');
  const interlace = bytes[at + 12];
  if (interlace !== 0 && interlace !== 1) fail(`unknown interlace method ${String(interlace)}`);
  return { width, height, bitDepth, colourType, storedChannels: CHANNELS_OF[colourType] ?? 1, interlaced: interlace === 1 };
}

/** Throws IMAGE_TOO_LARGE when width × height exceeds `maxPixels`. */
export function checkPixelCap(width: number, height: number, maxPixels: number): void {
  if (width * height > maxPixels) {
    throw Errors.IMAGE_TOO_LARGE(`Image is ${width}x${height} = ${width * height} pixels, more than the limit of ${maxPixels}`, {
      details: { width, height, maxPixels },
    });
  }
}

/**
 * Walks the chunks of a PNG (signature already checked): every chunk must lie inside the
 * buffer with a correct CRC, IHDR must come first and IEND must be reached, so truncated or
 * corrupted files are refused before any decoder sees them. Refuses more than `maxPixels`
 * from the header alone.
 */
export function readPngInfo(bytes: Buffer, maxPixels: number): PngInfo {
  let header: Omit<PngInfo, 'idat' | 'ancillary'> | null = null;
  const ancillary = new Set<string>();
  const idat: Array<[number, number]> = [];
  for (let at = 8; ; ) {
    if (at + 12 > bytes.length) fail('file is truncated (no IEND chunk)');
    const length = bytes.readUInt32BE(at);
    const type = bytes.toString('latin1', at + 4, at + 8);
    if (length > MAX_CHUNK || at + 12 + length > bytes.length) fail(`file is truncated inside chunk ${type}`);
    if (crc32(bytes.subarray(at + 4, at + 8 + length)) !== bytes.readUInt32BE(at + 8 + length)) fail(`CRC mismatch in chunk ${type}`);
    if (header === null) {
      if (type !== 'IHDR') fail(`expected IHDR first but found ${type}`);
      header = readIhdr(bytes, at + 8, length);
      checkPixelCap(header.width, header.height, maxPixels);
    } else if (type === 'IDAT') idat.push([at + 8, at + 8 + length]);
    else if (type === 'IEND') break;
    else if (type !== 'IHDR' && type !== 'PLTE') ancillary.add(type);
    at += 12 + length;
  }
  if (idat.length === 0) fail('no image data (IDAT) before IEND');
  return { ...header, idat, ancillary };
}
