// The Image Segmentation view's drawing (§10.6) from synthetic score maps: arg-max classes (the
// first of equal scores), the RGBA overlay (background clear, classes half-transparent, their
// edges opaque) in each colour map, the legend of the classes found, and the refusals.
import t from 'tap';
import { decode as decodePng } from 'fast-png';
import type { ClassifiedImage, SegmentationExtensionData } from '@digits-ts/contracts';
import type { SampleOutput } from '@digits-ts/ml';
import { addSegmentationViews, classMap } from '../../apps/worker/src/inference/segmentation-view.ts';

const [H, W, C] = [6, 7, 4];
/** Class of pixel (y, x): a 3×3 block of class 2 inside a 4×5 block of class 1, a class-3 corner. */
const truth = (y: number, x: number) => (y >= 2 && y < 5 && x >= 2 && x < 5 ? 2 : y < 4 && x < 5 ? 1 : y === 5 && x === 6 ? 3 : 0);
function scores(): SampleOutput {
  const values = new Float32Array(H * W * C);
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) for (let c = 0; c < C; c++) values[(y * W + x) * C + c] = c === truth(y, x) ? 2 : (x + c) % 3 * 0.1;
  return { name: 'score', shape: [H, W, C], values };
}
const results = (): ClassifiedImage[] => [{ source: 'a', label: null }];
const data = (palette: number[] | null, labels: string[] = []): SegmentationExtensionData => ({ color_palette: palette, class_labels: labels, colormap_method: 'label' });

t.test('arg-max over the channels, the first of equal scores', async (t) => {
  const map = classMap(scores());
  t.same([...map.classes], Array.from({ length: H * W }, (_, p) => truth(Math.floor(p / W), p % W)));
  const tie = classMap({ name: 's', shape: [1, 2, 3], values: Float32Array.of(1, 1, 0, 0, 5, 5) });
  t.same([...tie.classes], [0, 1]);
  t.throws(() => classMap({ name: 'flat', shape: [12], values: new Float32Array(12) }), { code: 'MODEL_SHAPE_MISMATCH', message: /H×W×C class scores .* "flat" has shape \[12\]/ });
});

t.test('the overlay in the dataset palette, the legend with the class labels', async (t) => {
  const palette = Array.from({ length: 768 }, (_, i) => (i * 37) % 256);
  const out = results();
  await addSegmentationViews([[scores()]], { used: [0], results: out }, { colormap: 'dataset' }, data(palette, ['sky', 'road']));
  const drawn = out[0]!.segmentation!;
  t.same(drawn.legend, [
    { index: 1, text: 'road', hex_color: `#${palette.slice(3, 6).map((v) => v.toString(16).padStart(2, '0')).join('')}` },
    { index: 2, text: 'Class #2', hex_color: `#${palette.slice(6, 9).map((v) => v.toString(16).padStart(2, '0')).join('')}` },
    { index: 3, text: 'Class #3', hex_color: `#${palette.slice(9, 12).map((v) => v.toString(16).padStart(2, '0')).join('')}` },
  ], 'classes found but 0; text from class_labels, else Class #i');
  const png = decodePng(Buffer.from(drawn.data, 'base64'));
  t.same([png.width, png.height, png.channels, drawn.width, drawn.height], [W, H, 4, W, H]);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const k = truth(y, x);
      const pixel = [...png.data.subarray((y * W + x) * 4, (y * W + x) * 4 + 4)];
      const neighbours = [-1, 0, 1].flatMap((dy) => [-1, 0, 1].map((dx) => [y + dy, x + dx])).filter(([ny, nx]) => ny! >= 0 && nx! >= 0 && ny! < H && nx! < W);
      const edge = neighbours.some(([ny, nx]) => truth(ny!, nx!) !== k);
      const expected = k === 0 ? [0, 0, 0, 0] : [...palette.slice(k * 3, k * 3 + 3), edge ? 255 : 128];
      if (JSON.stringify(pixel) !== JSON.stringify(expected)) t.fail(`pixel ${y},${x}: ${pixel} ≠ ${expected}`);
    }
  }
  t.pass('every pixel: background clear, a class inside half-transparent, its edge opaque');
});

t.test('paired and none colour maps; dataset without a palette is refused', async (t) => {
  const paired = results();
  await addSegmentationViews([[scores()]], { used: [0], results: paired }, { colormap: 'paired' }, null);
  t.same(paired[0]!.segmentation!.legend.map((l) => l.hex_color), ['#1f78b4', '#b2df8a', '#33a02c'], 'matplotlib Paired colours 1–3');
  const none = results();
  await addSegmentationViews([[scores()]], { used: [0], results: none }, { colormap: 'none' }, data(null));
  t.same(none[0]!.segmentation!.legend.map((l) => l.hex_color), ['#010101', '#020202', '#030303'], 'grey level = class index');
  await t.rejects(addSegmentationViews([[scores()]], { used: [0], results: results() }, { colormap: 'dataset' }, data(null)), { code: 'VALIDATION_FAILED', message: 'No palette found in dataset - choose other colormap' });
  const past = results();
  await addSegmentationViews([[scores()]], { used: [0], results: past, first: 500 }, { colormap: 'none' }, null);
  t.notOk(past[0]!.segmentation, 'inputs past the first 500 of a request are not drawn');
});
