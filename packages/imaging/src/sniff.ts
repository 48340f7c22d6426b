import type { SniffedType } from './types.ts';

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
/** DIB header sizes of the BMP variants in use (core, info, v2, v3, v4, v5). */
const BMP_DIB_SIZES = new Set([12, 40, 52, 56, 108, 124]);

function startsWith(bytes: Buffer, ascii: string, at = 0): boolean {
  return bytes.length >= at + ascii.length && bytes.toString('latin1', at, at + ascii.length) === ascii;
}

function isWhitespace(byte: number | undefined): boolean {
  return byte === 0x20 || byte === 0x09 || byte === 0x0a || byte === 0x0d;
}

function sniffNetpbm(bytes: Buffer): 'ppm' | 'pgm' | null {
  if (bytes[0] !== 0x50 || !isWhitespace(bytes[2])) return null;
  const kind = bytes[1];
  if (kind === 0x32 || kind === 0x35) return 'pgm'; // P2 ascii, P5 binary
  if (kind === 0x33 || kind === 0x36) return 'ppm'; // P3 ascii, P6 binary
  return null;
}

function isTiff(bytes: Buffer): boolean {
  if (bytes.length < 4) return false;
  const le = bytes[0] === 0x49 && bytes[1] === 0x49 && bytes[3] === 0x00 && (bytes[2] === 0x2a || bytes[2] === 0x2b);
  const be = bytes[0] === 0x4d && bytes[1] === 0x4d && bytes[2] === 0x00 && (bytes[3] === 0x2a || bytes[3] === 0x2b);
  return le || be;
}

/**
 * The image type of `bytes`, decided from magic bytes only (never from a file name or a
 * client's mimetype); null when nothing matches.
 */
export function sniffImageType(bytes: Buffer): SniffedType | null {
  if (bytes.length >= 8 && bytes.subarray(0, 8).equals(PNG_SIGNATURE)) return 'png';
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'jpeg';
  if (startsWith(bytes, 'GIF87a') || startsWith(bytes, 'GIF89a')) return 'gif';
  if (startsWith(bytes, 'RIFF') && startsWith(bytes, 'WEBP', 8)) return 'webp';
  if (isTiff(bytes)) return 'tiff';
  // 'BM' alone also starts plenty of text, so the DIB header size must look right too
  if (startsWith(bytes, 'BM') && bytes.length >= 26 && BMP_DIB_SIZES.has(bytes.readUInt32LE(14))) return 'bmp';
  return sniffNetpbm(bytes);
}
