/**
 * Photo-like JPEGs for the dataset-scale bench: mixed sizes and aspect ratios, smooth colour
 * gradients, overlapping translucent shapes and grain, so they compress and decode like photos
 * (flat colours would be unrealistically cheap). Drawn in JS (a librsvg / resize pipeline cost
 * twice as much per image), encoded by sharp. Deterministic: image i of seed s is always the same.
 */
import sharp from 'sharp';
import { createRandom, type RandomSource } from '@digits-ts/dataset';

/** Width / height ratios of common cameras and crops; each is used landscape and portrait. */
const ASPECTS = [1, 4 / 3, 3 / 2, 16 / 9, 5 / 4];
const LONG_SIDE = { min: 300, max: 800 };
/** One image in this many is grayscale (ImageNet has a few percent). */
const GREY_EVERY = 50;
const GRAIN_SIZE = 1024;

export interface PhotoSpec {
  width: number;
  height: number;
  grey: boolean;
  quality: number;
}

const int = (random: RandomSource, lo: number, hi: number) => lo + Math.floor(random() * (hi - lo + 1));

/** The size and kind of image `index`: long side 300–800 px, one of {@link ASPECTS} either way. */
export function photoSpec(index: number, seed: number): PhotoSpec {
  const random = createRandom(seed * 1_000_003 + index);
  const long = int(random, LONG_SIDE.min, LONG_SIDE.max);
  const short = Math.round(long / ASPECTS[int(random, 0, ASPECTS.length - 1)]!);
  const landscape = random() < 0.7;
  return { width: landscape ? long : short, height: landscape ? short : long, grey: index % GREY_EVERY === GREY_EVERY - 1, quality: int(random, 80, 95) };
}

let grain: Promise<Buffer> | null = null;

/**
 * A fixed tile of colour grain around 0 (stored +128), shared by every image (cut at an offset):
 * noise blurred a little, so it is correlated over a pixel or two as sensor noise is.
 */
function grainTile(): Promise<Buffer> {
  grain ??= (() => {
    const random = createRandom(0x9a1);
    const noise = Buffer.allocUnsafe(GRAIN_SIZE * GRAIN_SIZE * 3);
    // the sum of three uniforms: roughly Gaussian
    for (let i = 0; i < noise.length; i++) noise[i] = Math.round(128 + (random() + random() + random() - 1.5) * 60);
    return sharp(noise, { raw: { width: GRAIN_SIZE, height: GRAIN_SIZE, channels: 3 } }).blur(0.7).raw().toBuffer();
  })();
  return grain;
}

/** RGB pixels shaded bilinearly between a coarse grid of random colours (sky, wall, ground). */
function gradient(random: RandomSource, width: number, height: number): Buffer {
  const [gw, gh] = [int(random, 2, 5), int(random, 2, 5)];
  const grid = Array.from({ length: gw * gh * 3 }, () => int(random, 0, 255));
  const out = Buffer.allocUnsafe(width * height * 3);
  for (let y = 0, o = 0; y < height; y++) {
    const gy = (y / (height - 1)) * (gh - 1);
    const y0 = Math.min(gh - 2, Math.floor(gy));
    const fy = gy - y0;
    for (let x = 0; x < width; x++) {
      const gx = (x / (width - 1)) * (gw - 1);
      const x0 = Math.min(gw - 2, Math.floor(gx));
      const fx = gx - x0;
      const [a, b, c, d] = [(y0 * gw + x0) * 3, (y0 * gw + x0 + 1) * 3, ((y0 + 1) * gw + x0) * 3, ((y0 + 1) * gw + x0 + 1) * 3];
      for (let k = 0; k < 3; k++) {
        const top = grid[a + k]! + (grid[b + k]! - grid[a + k]!) * fx;
        const bottom = grid[c + k]! + (grid[d + k]! - grid[c + k]!) * fx;
        out[o++] = top + (bottom - top) * fy;
      }
    }
  }
  return out;
}

/** Blends a colour at `alpha` into the pixels where `inside(x, y)` holds, within a bounding box. */
function fill(rgb: Buffer, width: number, height: number, box: [number, number, number, number], inside: (x: number, y: number) => boolean, colour: number[], alpha: number): void {
  const [x0, y0] = [Math.max(0, Math.floor(box[0])), Math.max(0, Math.floor(box[1]))];
  const [x1, y1] = [Math.min(width - 1, Math.ceil(box[2])), Math.min(height - 1, Math.ceil(box[3]))];
  const [r, g, b] = colour.map((c) => c * alpha) as [number, number, number];
  const keep = 1 - alpha;
  for (let y = y0; y <= y1; y++) {
    for (let x = x0, o = (y * width + x0) * 3; x <= x1; x++, o += 3) {
      if (!inside(x, y)) continue;
      rgb[o] = rgb[o]! * keep + r;
      rgb[o + 1] = rgb[o + 1]! * keep + g;
      rgb[o + 2] = rgb[o + 2]! * keep + b;
    }
  }
}

/** 6–16 ellipses, rotated rectangles and triangles, partly transparent, drawn into `rgb`. */
function drawShapes(random: RandomSource, rgb: Buffer, width: number, height: number): void {
  for (let i = int(random, 6, 16); i > 0; i--) {
    const [cx, cy] = [int(random, 0, width), int(random, 0, height)];
    const [rx, ry] = [int(random, 10, width / 3), int(random, 10, height / 3)];
    const colour = [int(random, 0, 255), int(random, 0, 255), int(random, 0, 255)];
    const alpha = 0.3 + random() * 0.6;
    const kind = int(random, 0, 2);
    if (kind === 0) {
      fill(rgb, width, height, [cx - rx, cy - ry, cx + rx, cy + ry], (x, y) => ((x - cx) / rx) ** 2 + ((y - cy) / ry) ** 2 <= 1, colour, alpha);
    } else if (kind === 1) {
      const angle = random() * Math.PI / 2;
      const [cos, sin, reach] = [Math.cos(angle), Math.sin(angle), Math.hypot(rx, ry)];
      const inside = (x: number, y: number) => Math.abs((x - cx) * cos + (y - cy) * sin) <= rx && Math.abs((y - cy) * cos - (x - cx) * sin) <= ry;
      fill(rgb, width, height, [cx - reach, cy - reach, cx + reach, cy + reach], inside, colour, alpha);
    } else {
      // an isosceles triangle, apex up: inside when below both slanted edges and above the base
      const inside = (x: number, y: number) => y <= cy + ry && Math.abs(x - cx) * 2 * ry <= rx * (y - (cy - ry));
      fill(rgb, width, height, [cx - rx, cy - ry, cx + rx, cy + ry], inside, colour, alpha);
    }
  }
}

/** Adds a window of the grain tile, at a random offset, to `rgb` in place. */
async function addGrain(random: RandomSource, rgb: Buffer, width: number, height: number): Promise<void> {
  const tile = await grainTile();
  const [x0, y0] = [int(random, 0, GRAIN_SIZE - width), int(random, 0, GRAIN_SIZE - height)];
  for (let y = 0; y < height; y++) {
    for (let x = 0, o = y * width * 3, t = ((y0 + y) * GRAIN_SIZE + x0) * 3; x < width * 3; x++, o++, t++) {
      const v = rgb[o]! + tile[t]! - 128;
      rgb[o] = v < 0 ? 0 : v > 255 ? 255 : v;
    }
  }
}

/** JPEG bytes of image `index`: a colour gradient, shapes, grain; quality 80–95. */
export async function photoJpeg(index: number, seed: number): Promise<{ spec: PhotoSpec; jpeg: Buffer }> {
  const spec = photoSpec(index, seed);
  const random = createRandom(seed * 7_777_777 + index);
  const { width, height } = spec;
  const rgb = gradient(random, width, height);
  drawShapes(random, rgb, width, height);
  await addGrain(random, rgb, width, height);
  const pipeline = sharp(rgb, { raw: { width, height, channels: 3 } });
  if (spec.grey) pipeline.toColourspace('b-w');
  return { spec, jpeg: await pipeline.jpeg({ quality: spec.quality }).toBuffer() };
}
