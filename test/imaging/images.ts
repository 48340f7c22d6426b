// Test-time image builders for the imaging suites (not a test file itself).
import { crc32, deflateSync } from 'node:zlib';
import sharp, { type PngOptions, type Sharp } from 'sharp';

/** Raw interleaved pixels with 1–4 channels (L, LA, RGB, RGBA). */
export interface Pixels {
  data: Buffer;
  width: number;
  height: number;
  channels: 1 | 2 | 3 | 4;
}

/** Pixels whose value is `fn(x, y)` (one tuple per pixel). */
export function makePixels(width: number, height: number, channels: Pixels['channels'], fn: (x: number, y: number) => number[]): Pixels {
  const data = Buffer.alloc(width * height * channels);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) data.set(fn(x, y).slice(0, channels), (y * width + x) * channels);
  }
  return { data, width, height, channels };
}

/** Deterministic pseudo-random noise pixels. */
export function noisePixels(width: number, height: number, channels: Pixels['channels'], seed = 1): Pixels {
  let s = seed;
  const next = () => (s = (s * 1103515245 + 12345) & 0x7fffffff) >> 16;
  return makePixels(width, height, channels, () => Array.from({ length: channels }, () => next() & 255));
}

/** A seeded uniform [0, 1) source, for noise padding. */
export function seededRandom(seed = 7): () => number {
  let s = seed;
  return () => ((s = (s * 1103515245 + 12345) & 0x7fffffff) / 0x80000000);
}

function pipeline(p: Pixels): Sharp {
  const img = sharp(p.data, { raw: { width: p.width, height: p.height, channels: p.channels } });
  // sharp writes 1/2-channel raw input as RGB(A) unless asked for gray
  return p.channels <= 2 ? img.toColourspace('b-w') : img;
}

/** PNG of `p` with its own channel count (8-bit L, LA, RGB or RGBA). */
export function toPng(p: Pixels, options: PngOptions = {}): Promise<Buffer> {
  return pipeline(p).png(options).toBuffer();
}

/** Baseline JPEG of `p` (gray stays gray). */
export function toJpeg(p: Pixels, quality = 95): Promise<Buffer> {
  return pipeline(p).jpeg({ quality }).toBuffer();
}

/** Raw decode of any image with sharp, keeping the file's channel count where possible. */
export async function sharpRaw(bytes: Buffer, grey: boolean): Promise<Buffer> {
  return sharp(bytes).toColourspace(grey ? 'b-w' : 'srgb').raw().toBuffer();
}

/** A PNG chunk (length, type, data, CRC). */
export function pngChunk(type: string, data: Buffer): Buffer {
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const head = Buffer.alloc(4);
  head.writeUInt32BE(data.length);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([head, body, crc]);
}

function forwardFilter(filter: number, row: Buffer, prev: Buffer | null, bpp: number): Buffer {
  const out = Buffer.alloc(row.length + 1);
  out[0] = filter;
  for (let i = 0; i < row.length; i++) {
    const x = row[i] as number;
    const a = i >= bpp ? (row[i - bpp] as number) : 0;
    const b = prev ? (prev[i] as number) : 0;
    const c = prev && i >= bpp ? (prev[i - bpp] as number) : 0;
    const p = a + b - c;
    const predictor = [0, a, b, Math.floor((a + b) / 2), Math.abs(p - a) <= Math.abs(p - b) && Math.abs(p - a) <= Math.abs(p - c) ? a : Math.abs(p - b) <= Math.abs(p - c) ? b : c][filter] as number;
    out[i + 1] = (x - predictor) & 255;
  }
  return out;
}

/** An 8-bit non-interlaced PNG of `p` written by hand, row y filtered with `filters[y % filters.length]`. */
export function handFilteredPng(p: Pixels, filters: number[]): Buffer {
  const colourType = { 1: 0, 2: 4, 3: 2, 4: 6 }[p.channels];
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(p.width, 0);
  ihdr.writeUInt32BE(p.height, 4);
  ihdr.set([8, colourType, 0, 0, 0], 8);
  const stride = p.width * p.channels;
  const rows = Array.from({ length: p.height }, (_, y) => {
    const row = p.data.subarray(y * stride, (y + 1) * stride);
    const prev = y > 0 ? p.data.subarray((y - 1) * stride, y * stride) : null;
    return forwardFilter(filters[y % filters.length] as number, row, prev, p.channels);
  });
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return Buffer.concat([signature, pngChunk('IHDR', ihdr), pngChunk('IDAT', deflateSync(Buffer.concat(rows))), pngChunk('IEND', Buffer.alloc(0))]);
}

/** `png` with `chunk` inserted right after IHDR. */
export function insertAfterIhdr(png: Buffer, chunk: Buffer): Buffer {
  const ihdrEnd = 8 + 12 + 13;
  return Buffer.concat([png.subarray(0, ihdrEnd), chunk, png.subarray(ihdrEnd)]);
}

/** Offset of the first chunk of `type` (its length field), or -1. */
export function findChunk(png: Buffer, type: string): number {
  for (let at = 8; at + 8 <= png.length; at += 12 + png.readUInt32BE(at)) {
    if (png.toString('latin1', at + 4, at + 8) === type) return at;
  }
  return -1;
}

/** A minimal little-endian, uncompressed, 1-sample TIFF of 32-bit floats (PIL "F") or 16-bit ints (PIL "I;16"). */
export function greyTiff(width: number, height: number, sample: 'float32' | 'uint16', values: number[]): Buffer {
  const bytes = sample === 'float32' ? 4 : 2;
  const entries: Array<[number, number, number]> = [
    [256, 3, width], [257, 3, height], [258, 3, bytes * 8], [259, 3, 1], [262, 3, 1],
    [273, 4, 0], [277, 3, 1], [278, 3, height], [279, 4, width * height * bytes], [339, 3, sample === 'float32' ? 3 : 1],
  ];
  const ifdSize = 2 + entries.length * 12 + 4;
  const dataAt = 8 + ifdSize;
  const out = Buffer.alloc(dataAt + width * height * bytes);
  out.write('II', 0, 'latin1');
  out.writeUInt16LE(42, 2);
  out.writeUInt32LE(8, 4);
  out.writeUInt16LE(entries.length, 8);
  entries.forEach(([tag, type, value], i) => {
    const at = 10 + i * 12;
    out.writeUInt16LE(tag, at);
    out.writeUInt16LE(type, at + 2);
    out.writeUInt32LE(1, at + 4);
    if (type === 3) out.writeUInt16LE(value, at + 8);
    else out.writeUInt32LE(tag === 273 ? dataAt : value, at + 8);
  });
  values.forEach((v, i) => (sample === 'float32' ? out.writeFloatLE(v, dataAt + i * 4) : out.writeUInt16LE(v, dataAt + i * 2)));
  return out;
}

/** A copy of `bytes` with the byte at `at` (negative: from the end) XORed with `mask`. */
export function flipByte(bytes: Buffer, at: number, mask = 0xff): Buffer {
  const out = Buffer.from(bytes);
  const i = at < 0 ? out.length + at : at;
  out[i] = (out[i] as number) ^ mask;
  return out;
}

/** Expected PIL paste-over-white value of colour sample `c` under alpha `a`. */
export function overWhite(c: number, a: number): number {
  return Math.round((c * a + 255 * (255 - a)) / 255);
}

/** PIL's integer RGB → L. */
export function luma(r: number, g: number, b: number): number {
  return Math.floor((r * 19595 + g * 38470 + b * 7471 + 0x8000) / 65536);
}
