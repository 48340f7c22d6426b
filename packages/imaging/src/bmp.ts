import { Errors } from '@digits-ts/contracts';
import type { RawImage } from './types.ts';
import { checkPixelCap } from './png-info.ts';

function fail(reason: string): never {
  throw Errors.IMAGE_DECODE_FAILED(`BMP could not be decoded: ${reason}`, { details: { format: 'bmp' } });
}

interface BmpHeader {
  width: number;
  height: number;
  topDown: boolean;
  bpp: number;
  dataOffset: number;
  paletteOffset: number;
  paletteEntry: 3 | 4;
  paletteSize: number;
}

function readHeader(bytes: Buffer): BmpHeader {
  const dib = bytes.readUInt32LE(14);
  if (bytes.length < 14 + dib) fail('file is truncated inside the header');
  const dataOffset = bytes.readUInt32LE(10);
  if (dib === 12) {
    const bpp = bytes.readUInt16LE(24);
    const [width, height] = [bytes.readUInt16LE(18), bytes.readUInt16LE(20)];
    return { width, height, topDown: false, bpp, dataOffset, paletteOffset: 26, paletteEntry: 3, paletteSize: 1 << Math.min(bpp, 8) };
  }
  const [width, rawHeight, bpp] = [bytes.readInt32LE(18), bytes.readInt32LE(22), bytes.readUInt16LE(28)];
  const compression = bytes.readUInt32LE(30);
  if (compression !== 0) fail(`compression ${compression} not supported (only uncompressed BI_RGB)`);
  const used = bytes.readUInt32LE(46);
  const paletteSize = bpp <= 8 ? Math.min(used === 0 ? 1 << bpp : used, 1 << bpp) : 0;
  return { width, height: Math.abs(rawHeight), topDown: rawHeight < 0, bpp, dataOffset, paletteOffset: 14 + dib, paletteEntry: 4, paletteSize };
}

/** Palette as RGB triples; gray when every entry has r = g = b. */
function readPalette(bytes: Buffer, h: BmpHeader): { rgb: Uint8Array; grey: boolean } {
  if (h.paletteOffset + h.paletteSize * h.paletteEntry > bytes.length) fail('file is truncated inside the palette');
  const rgb = new Uint8Array(256 * 3);
  let grey = true;
  for (let i = 0; i < h.paletteSize; i++) {
    const at = h.paletteOffset + i * h.paletteEntry; // stored B, G, R
    const [b, g, r] = [bytes[at] as number, bytes[at + 1] as number, bytes[at + 2] as number];
    rgb.set([r, g, b], i * 3);
    grey &&= r === g && g === b;
  }
  return { rgb, grey };
}

function sampleIndex(row: Buffer, x: number, bpp: number): number {
  if (bpp === 8) return row[x] as number;
  const bit = x * bpp;
  return ((row[bit >> 3] as number) >> (8 - bpp - (bit & 7))) & ((1 << bpp) - 1);
}

/**
 * Decodes uncompressed BMPs (1/4/8-bit palette, 24/32-bit BGR), which the bundled libvips does
 * not read. A gray palette gives 1 channel (the same pixels PIL's P → RGB → L would give).
 */
export function decodeBmp(bytes: Buffer, maxPixels: number): RawImage {
  const h = readHeader(bytes);
  if (h.width <= 0 || h.height <= 0) fail(`invalid size ${h.width}x${h.height}`);
  if (![1, 4, 8, 24, 32].includes(h.bpp)) fail(`${h.bpp} bits per pixel not supported`);
  checkPixelCap(h.width, h.height, maxPixels);
  const stride = Math.floor((h.bpp * h.width + 31) / 32) * 4;
  if (h.dataOffset + stride * h.height > bytes.length) fail('file is truncated inside the pixel data');
  const palette = h.bpp <= 8 ? readPalette(bytes, h) : null;
  const channels = palette?.grey === true ? 1 : 3;
  const out = Buffer.allocUnsafe(h.width * h.height * channels);
  for (let y = 0; y < h.height; y++) {
    const src = h.topDown ? y : h.height - 1 - y;
    const row = bytes.subarray(h.dataOffset + src * stride, h.dataOffset + (src + 1) * stride);
    for (let x = 0, o = y * h.width * channels; x < h.width; x++, o += channels) {
      if (palette === null) {
        const at = x * (h.bpp >> 3);
        out[o] = row[at + 2] as number;
        out[o + 1] = row[at + 1] as number;
        out[o + 2] = row[at] as number;
      } else {
        const i = sampleIndex(row, x, h.bpp) * 3;
        for (let c = 0; c < channels; c++) out[o + c] = palette.rgb[i + c] as number;
      }
    }
  }
  return { data: out, width: h.width, height: h.height, channels };
}
