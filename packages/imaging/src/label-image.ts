/**
 * Segmentation label images (contract §7.6) read as PIL opens them, without §6.6's conversion:
 * a paletted PNG keeps its palette indices (the class of each pixel) and its palette; a grey one
 * its values. Other modes come back as decoded so the caller can say which mode was refused.
 */
import { decode } from 'fast-png';
import { readPngInfo, PNG_COLOUR } from './png-info.ts';
import { decodeImage } from './decode.ts';
import { sniffImageType } from './sniff.ts';

/** PIL's mode names for what a label file holds. */
export type LabelMode = 'P' | 'L' | '1' | 'RGB' | 'LA' | 'RGBA' | 'I;16';

export interface LabelImage {
  mode: LabelMode;
  width: number;
  height: number;
  /** H×W×C samples: class indices for P, L and 1 (C = 1), else the decoded pixels. */
  data: Uint8Array;
  channels: number;
  /** P only: the palette as 768 values (R, G, B per index, zero-padded), as PIL's getpalette() gives it. */
  palette: number[] | null;
}

const PNG_MODES: Record<number, LabelMode> = {
  [PNG_COLOUR.GREY]: 'L', [PNG_COLOUR.RGB]: 'RGB', [PNG_COLOUR.PALETTE]: 'P', [PNG_COLOUR.GREY_ALPHA]: 'LA', [PNG_COLOUR.RGBA]: 'RGBA',
};

/** Samples below 8 bits are packed MSB first, each row starting on a byte. */
function unpack(data: Uint8Array, width: number, height: number, depth: number): Uint8Array {
  if (depth === 8) return data;
  const out = new Uint8Array(width * height);
  const rowBytes = Math.ceil((width * depth) / 8);
  const mask = (1 << depth) - 1;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const bit = x * depth;
      out[y * width + x] = (data[y * rowBytes + (bit >> 3)]! >> (8 - depth - (bit & 7))) & mask;
    }
  }
  return out;
}

/** Reads a label file's pixels as PIL would open it (PNG: raw indices and palette; other formats: decoded, mode by channels). */
export async function decodeLabelImage(bytes: Buffer, maxPixels: number): Promise<LabelImage> {
  let pngMode: LabelMode | null = null;
  if (sniffImageType(bytes) === 'png') {
    const info = readPngInfo(bytes, maxPixels);
    const mode: LabelMode = info.colourType === PNG_COLOUR.GREY && info.bitDepth === 1 ? '1'
      : info.colourType === PNG_COLOUR.GREY && info.bitDepth === 16 ? 'I;16' : PNG_MODES[info.colourType]!;
    const png = decode(bytes);
    if (mode === 'P' || mode === '1' || (mode === 'L' && png.depth <= 8)) {
      const data = unpack(png.data as Uint8Array, png.width, png.height, png.depth);
      let palette: number[] | null = null;
      if (mode === 'P') {
        palette = new Array<number>(768).fill(0);
        (png.palette ?? []).slice(0, 256).forEach((rgb, i) => palette!.splice(i * 3, 3, rgb[0] ?? 0, rgb[1] ?? 0, rgb[2] ?? 0));
      }
      // a 1-bit image's pixels are 0 or 1 as class indices (PIL's mode 1 reads 0/255 only when converted)
      return { mode, width: png.width, height: png.height, data, channels: 1, palette };
    }
    if (mode === 'I;16') return { mode, width: png.width, height: png.height, data: new Uint8Array(0), channels: 1, palette: null };
    // LA and RGBA keep their mode (labels refuse them) though §6.6 decoding flattens them
    pngMode = mode;
  }
  const image = await decodeImage(bytes, { maxPixels });
  return { mode: pngMode ?? (image.channels === 1 ? 'L' : 'RGB'), width: image.width, height: image.height, data: image.data, channels: image.channels, palette: null };
}
