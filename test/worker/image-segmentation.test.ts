// Segmentation labels (§7.6) as the worker reads them: palette indices and the palette of mode-P
// PNGs, grey values of L/1 PNGs, RGB labels mapped through a colour map file — each checked
// against what PIL (/usr/bin/python3) reads from the same files — and DIGITS' refusals.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import t from 'tap';
import { encode as encodePng } from 'fast-png';
import type { ImageSegmentationOptions, SegmentationExtensionData } from '@digits-ts/contracts';
import { encodeImage } from '@digits-ts/imaging';
import { colormapPalette, loadLabel, quantizeToPalette, segmentationData } from '../../apps/worker/src/extensions/image-segmentation.ts';

const python = ['/usr/bin/python3', 'python3'].find((p) => spawnSync(p, ['-c', 'import PIL, numpy'], { stdio: 'ignore' }).status === 0);
/** What PIL reads from `file`: its mode, pixels as a flat list, and palette. */
function pil(file: string, script = 'im = Image.open(f)'): { mode: string; pixels: number[]; palette: number[] | null } {
  const run = spawnSync(python!, ['-c', `import sys, json, numpy as np\nfrom PIL import Image\nf = sys.argv[1]\n${script}\np = im.getpalette()\nprint(json.dumps({'mode': im.mode, 'pixels': np.array(im).flatten().tolist(), 'palette': (p + [0] * (768 - len(p))) if p is not None else None}))`, file], { encoding: 'utf8' });
  if (run.status !== 0) throw new Error(run.stderr);
  return JSON.parse(run.stdout) as ReturnType<typeof pil>;
}

const [W, H] = [7, 5];
const indices = Uint8Array.from({ length: W * H }, (_, i) => (i * 3) % 5);
const PALETTE: [number, number, number][] = [[0, 0, 0], [128, 0, 0], [0, 128, 0], [128, 128, 0], [0, 0, 128]];
const how = (dir: string) => ({ roots: [dir], maxPixels: 1 << 20 });
const data = (palette: number[] | null, method: 'label' | 'textfile' = 'label'): SegmentationExtensionData => ({ color_palette: palette, class_labels: [], colormap_method: method });

t.test('label method: P, L and 1-bit PNGs give PIL\'s pixel values; the palette padded to 768', async (t) => {
  const dir = t.testdir();
  const files = {
    p8: Buffer.from(encodePng({ width: W, height: H, data: indices, depth: 8, channels: 1, palette: PALETTE })),
    p4: Buffer.from(encodePng({ width: W, height: H, data: packed(indices, 4), depth: 4, channels: 1, palette: PALETTE })),
    grey: await encodeImage({ data: Buffer.from(indices), width: W, height: H, channels: 1 }, 'png'),
    bits: Buffer.from(encodePng({ width: W, height: H, data: packed(indices.map((v) => v & 1), 1), depth: 1, channels: 1 })),
  };
  for (const [name, bytes] of Object.entries(files)) await fs.writeFile(path.join(dir, `${name}.png`), bytes);
  const paletteOf = (await segmentationData({ labelFolder: dir, colormapMethod: 'label', classLabelsFile: null } as ImageSegmentationOptions, how(dir))).color_palette;
  t.equal(paletteOf, null, 'the dataset palette is the first label\'s in sorted order: bits.png, mode 1, none');
  for (const name of Object.keys(files)) {
    const file = path.join(dir, `${name}.png`);
    const reference = python ? pil(file) : null;
    const palette = name.startsWith('p') ? [...PALETTE.flat(), ...new Array<number>(768 - 15).fill(0)] : null;
    const label = await loadLabel(file, data(palette), how(dir));
    t.match(label, { height: H, width: W, channels: 1 });
    const expected = name === 'bits' ? indices.map((v) => v & 1) : indices;
    t.same([...label.data], [...expected], `${name}: the class indices`);
    if (reference) {
      // PIL reads mode-1 pixels as booleans: True/False are our 1/0
      t.same([...label.data], reference.pixels.map(Number), `${name}: PIL (${reference.mode}) reads the same values`);
      if (reference.palette) t.same(palette, reference.palette, `${name}: PIL's palette`);
    }
  }
  function packed(values: Uint8Array, depth: number): Uint8Array {
    const rowBytes = Math.ceil((W * depth) / 8);
    const out = new Uint8Array(rowBytes * H);
    values.forEach((v, i) => {
      const [y, x] = [Math.floor(i / W), i % W];
      out[y * rowBytes + ((x * depth) >> 3)]! |= v << (8 - depth - ((x * depth) & 7));
    });
    return out;
  }
});

t.test('label method refusals: RGB labels, a different palette', async (t) => {
  const dir = t.testdir();
  const rgb = path.join(dir, 'rgb.png');
  await fs.writeFile(rgb, await encodeImage({ data: Buffer.alloc(W * H * 3, 9), width: W, height: H, channels: 3 }, 'png'));
  await t.rejects(loadLabel(rgb, data(null), how(dir)), { code: 'DATASET_BUILD_FAILED', message: `Labels are expected to be single-channel (paletted or grayscale) images - ${rgb} mode is 'RGB'. If your labels are RGB images then set the 'Color Map Specification' field to 'from text file' and provide a color map text file.` });
  const rgba = path.join(dir, 'rgba.png');
  await fs.writeFile(rgba, Buffer.from(encodePng({ width: W, height: H, data: new Uint8Array(W * H * 4).fill(200), depth: 8, channels: 4 })));
  await t.rejects(loadLabel(rgba, data(null, 'textfile'), how(dir)), { message: /^Labels are expected to be RGB images - .*rgba\.png mode is 'RGBA'\./ }, 'RGBA is not RGB');
  const la = path.join(dir, 'la.png');
  await fs.writeFile(la, Buffer.from(encodePng({ width: W, height: H, data: new Uint8Array(W * H * 2).fill(1), depth: 8, channels: 2 })));
  await t.rejects(loadLabel(la, data(null), how(dir)), { message: /mode is 'LA'\./ }, 'LA is not single-channel');
  const p = path.join(dir, 'p.png');
  await fs.writeFile(p, Buffer.from(encodePng({ width: W, height: H, data: indices, depth: 8, channels: 1, palette: PALETTE })));
  await t.rejects(loadLabel(p, data(new Array<number>(768).fill(1)), how(dir)), { message: 'All label images must use the same palette' });
  await t.rejects(loadLabel(p, data(null), how(dir)), { message: 'All label images must use the same palette' }, 'a P label in a dataset of grey labels');
  await t.rejects(loadLabel(p, data(PALETTE.flat(), 'textfile'), how(dir)), { message: /^Labels are expected to be RGB images - .*p\.png mode is 'P'\./ });
});

t.test('textfile method: the colour map file\'s palette and the nearest colour, as PIL quantises (no dither)', async (t) => {
  t.same(colormapPalette('0 0 0\n255 0 0\n  0 255 0 \n').slice(0, 12), [0, 0, 0, 255, 0, 0, 0, 255, 0, 0, 0, 0]);
  t.equal(colormapPalette('1 2 3').length, 768, 'zero-padded to 768');
  t.throws(() => colormapPalette('0 0 0\n255 x 0'), { message: "Your color map file seems to be badly formatted: 'x' is not an integer" });
  const dir = t.testdir();
  const map = path.join(dir, 'colors.txt');
  await fs.writeFile(map, '0 0 0\n200 30 30\n30 200 30\n30 30 200\n');
  const palette = colormapPalette(await fs.readFile(map, 'utf8'));
  // colours near (not on) the listed ones, and a few far from all of them
  const rgb = Uint8Array.from({ length: W * H * 3 }, (_, i) => ((i * 73 + (i % 3) * 41) % 256));
  const file = path.join(dir, 'label.png');
  await fs.writeFile(file, await encodeImage({ data: Buffer.from(rgb), width: W, height: H, channels: 3 }, 'png'));
  const label = await loadLabel(file, data(palette, 'textfile'), how(dir));
  t.same([...label.data], [...quantizeToPalette(rgb, palette)]);
  if (python) {
    const reference = pil(file, `pal = Image.new('P', (1, 1)); pal.putpalette(${JSON.stringify(palette)})\nim = Image.open(f).convert('RGB').quantize(palette=pal, dither=Image.Dither.NONE)`);
    t.same([...label.data], reference.pixels, 'PIL quantize(palette=…, dither=NONE) picks the same classes');
  }
  const classes = path.join(dir, 'classes.txt');
  await fs.writeFile(classes, 'background\r\nred\ngreen\nblue\n');
  const extension = await segmentationData({ labelFolder: dir, colormapMethod: 'textfile', colormapTextFile: map, classLabelsFile: classes } as ImageSegmentationOptions, how(dir));
  t.same(extension, { color_palette: palette, class_labels: ['background', 'red', 'green', 'blue'], colormap_method: 'textfile' });
});
