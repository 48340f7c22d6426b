import { Errors } from '@digits-ts/contracts';
import type { RawImage } from './types.ts';
import { checkPixelCap } from './png-info.ts';

function fail(reason: string): never {
  throw Errors.IMAGE_DECODE_FAILED(`PNM could not be decoded: ${reason}`, { details: { format: 'pnm' } });
}

/** A cursor over the ASCII tokens of a netpbm header (or a plain-format body). */
class Tokens {
  constructor(
    private readonly bytes: Buffer,
    public at: number,
  ) {}

  /** The next unsigned integer, skipping whitespace and `#` comments. */
  int(what: string): number {
    const b = this.bytes;
    for (;;) {
      const c = b[this.at];
      if (c === 0x23) while (this.at < b.length && b[this.at] !== 0x0a && b[this.at] !== 0x0d) this.at++;
      else if (c === 0x20 || (c !== undefined && c >= 0x09 && c <= 0x0d)) this.at++;
      else break;
    }
    const start = this.at;
    let value = 0;
    while (this.at < b.length && (b[this.at] as number) >= 0x30 && (b[this.at] as number) <= 0x39 && this.at - start < 9) {
      value = value * 10 + (b[this.at] as number) - 0x30;
      this.at++;
    }
    if (this.at === start) fail(`expected a number for ${what}`);
    return value;
  }
}

function readSamples(bytes: Buffer, tokens: Tokens, plain: boolean, count: number, maxval: number): Uint32Array {
  const samples = new Uint32Array(count);
  if (plain) {
    for (let i = 0; i < count; i++) samples[i] = tokens.int('a sample');
  } else {
    const width = maxval > 255 ? 2 : 1;
    const start = tokens.at + 1; // exactly one whitespace byte ends the header
    if (start + count * width > bytes.length) fail(`file is truncated (${bytes.length - start} of ${count * width} data bytes)`);
    for (let i = 0; i < count; i++) samples[i] = width === 1 ? (bytes[start + i] as number) : bytes.readUInt16BE(start + 2 * i);
  }
  return samples;
}

/**
 * Decodes binary and plain PGM (P5, P2) and PPM (P6, P3), which the bundled libvips does not
 * read. Samples are scaled to 0..255 when maxval differs; 16-bit PGM is PIL mode "I" and refused.
 */
export function decodeNetpbm(bytes: Buffer, maxPixels: number): RawImage {
  const kind = String.fromCharCode(bytes[1] ?? 0);
  const channels = kind === '3' || kind === '6' ? 3 : 1;
  const plain = kind === '2' || kind === '3';
  const tokens = new Tokens(bytes, 2);
  const width = tokens.int('width');
  const height = tokens.int('height');
  if (width === 0 || height === 0) fail(`invalid size ${width}x${height}`);
  checkPixelCap(width, height, maxPixels);
  const maxval = tokens.int('maxval');
  if (maxval === 0 || maxval > 65535) fail(`invalid maxval ${maxval}`);
  if (maxval > 255 && channels === 1) throw Errors.IMAGE_MODE_UNSUPPORTED('Image mode "I" not supported');
  const samples = readSamples(bytes, tokens, plain, width * height * channels, maxval);
  const data = Buffer.allocUnsafe(samples.length);
  for (let i = 0; i < samples.length; i++) {
    const v = samples[i] as number;
    if (v > maxval) fail(`sample ${v} exceeds maxval ${maxval}`);
    data[i] = maxval === 255 ? v : Math.round((v * 255) / maxval);
  }
  return { data, width, height, channels };
}
