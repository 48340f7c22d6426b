// Image list and labels text files, plus the seeded randomness used to shuffle them.
import t from 'tap';
import { createRandom, formatLabels, formatListLines, parseImageList, parseLabelsText, shuffleInPlace } from '@digits-ts/dataset';

t.test('parseImageList keeps "<path> <label>" lines and skips blank or malformed ones', async (t) => {
  const text = [
    '/data/cat/1.jpg 0',
    '',
    '   ',
    'no label here',
    '/data/with space/2.png 1\r',
    'relative/3.png\t\t2\t',
    '/data/x.png -1',
    '/data/y.png 1.5',
    '4',
    '/data/dog 2/5.png 10  ',
    '/data/z.png 3 extra',
  ].join('\n');
  t.same(parseImageList(text), [
    { path: '/data/cat/1.jpg', label: 0 },
    { path: '/data/with space/2.png', label: 1 },
    { path: 'relative/3.png', label: 2 },
    { path: '/data/dog 2/5.png', label: 10 },
  ]);
  t.same(parseImageList(''), []);
});

t.test('formatListLines and parseImageList round trip', async (t) => {
  const lines = [{ path: '/a/b c.png', label: 3 }, { path: '/d.jpg', label: 0 }];
  const text = formatListLines(lines);
  t.equal(text, '/a/b c.png 3\n/d.jpg 0\n');
  t.same(parseImageList(text), lines);
});

t.test('labels.txt: one label per non-empty trimmed line; written with a trailing newline', async (t) => {
  t.same(parseLabelsText('cat\n  big dog \n\n\r\nbird\r\n'), ['cat', 'big dog', 'bird']);
  t.equal(formatLabels(['cat', 'big dog']), 'cat\nbig dog\n');
  t.same(parseLabelsText(formatLabels(['a', 'b c'])), ['a', 'b c']);
  t.equal(formatLabels([]), '');
});

t.test('createRandom is seeded, uniform-ish and in [0, 1)', async (t) => {
  const a = createRandom(42);
  const b = createRandom(42);
  const xs = Array.from({ length: 1000 }, () => a());
  t.same(Array.from({ length: 1000 }, () => b()), xs);
  t.ok(xs.every((x) => x >= 0 && x < 1));
  const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
  t.ok(mean > 0.45 && mean < 0.55, `mean ${mean}`);
  t.not(createRandom(43)(), createRandom(42)());
});

t.test('shuffleInPlace is a seeded permutation', async (t) => {
  const base = Array.from({ length: 50 }, (_, i) => i);
  const one = shuffleInPlace([...base], createRandom(1));
  t.same([...one].sort((x, y) => x - y), base);
  t.not(one.join(), base.join());
  t.same(shuffleInPlace([...base], createRandom(1)), one);
  t.not(shuffleInPlace([...base], createRandom(2)).join(), one.join());
});
