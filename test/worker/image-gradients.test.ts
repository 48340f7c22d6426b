// The image-gradients generator follows §7.3's formula; slopes are uniform in [−0.5, 0.5).
import t from 'tap';
import { createRandom } from '@digits-ts/dataset';
import { gradientEntries, gradientImage } from '../../apps/worker/src/extensions/image-gradients.ts';

t.test('pixels are the truncated linear gradient', async (t) => {
  const [w, h] = [32, 24];
  for (const [xs, ys] of [[0, 0], [0.5, 0], [-0.5, 0.25], [0.49, -0.49]] as const) {
    const img = gradientImage(w, h, xs, ys);
    for (const [x, y] of [[0, 0], [31, 23], [16, 12], [7, 19]] as const) {
      const expected = Math.trunc(((xs * 255) / w) * (x - w / 2) + ((ys * 255) / h) * (y - h / 2) + 127.5);
      t.equal(img[y * w + x], expected, `(${x}, ${y}) at slopes ${xs}, ${ys}`);
    }
  }
  t.ok(gradientImage(w, h, 0, 0).every((v) => v === 127), 'flat image at zero slope');
  const steep = gradientImage(w, h, -0.5, -0.5);
  t.ok(steep.every((v) => v >= 0 && v <= 255), 'stays in 0..255');
});

t.test('entries carry their slopes as float labels', async (t) => {
  const entries = [...gradientEntries(500, 8, 8, createRandom(3))];
  t.equal(entries.length, 500);
  const xs = entries.map((e) => e.label[0]!);
  t.ok(xs.every((v) => v >= -0.5 && v < 0.5));
  t.ok(Math.min(...xs) < -0.45 && Math.max(...xs) > 0.45, 'spread over the range');
  for (const e of entries.slice(0, 5)) t.same(e.feature, gradientImage(8, 8, e.label[0]!, e.label[1]!));
});
