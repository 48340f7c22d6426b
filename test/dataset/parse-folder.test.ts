import fs from 'node:fs/promises';
import path from 'node:path';
import t from 'tap';
import { createRandom, parseFolder, roundHalfAwayFromZero, splitCounts, type ParseFolderOptions, type ParseFolderResult } from '@digits-ts/dataset';

const opts = (o: Partial<ParseFolderOptions> = {}): ParseFolderOptions => ({ pctVal: 0, pctTest: 0, minPerCategory: 1, random: createRandom(1), ...o });
const files = (...names: string[]): Record<string, string> => Object.fromEntries(names.map((n) => [n, '']));
/** All listed paths, relative to `root`, with their labels, sorted. */
const listed = (r: ParseFolderResult, root: string): string[] =>
  [...r.train, ...r.val, ...r.test].map((l) => `${path.relative(root, l.path)} ${l.label}`).sort();

t.test('roundHalfAwayFromZero is Python 2 round', async (t) => {
  const cases: Array<[number, number]> = [[0.5, 1], [1.5, 2], [2.5, 3], [2.4999, 2], [-0.5, -1], [-2.5, -3], [-2.4, -2], [0, 0], [7.5, 8]];
  for (const [x, want] of cases) t.equal(roundHalfAwayFromZero(x), want, `round(${x})`);
});

t.test('splitCounts follows DIGITS three_way_split_indices', async (t) => {
  // [n, pctVal, pctTest, train, val, test], worked out by hand from the spec's a/b/c algorithm
  const table: Array<[number, number, number, number, number, number]> = [
    [0, 25, 0, 0, 0, 0],
    [1, 0, 0, 1, 0, 0], // pct_train 100: all train
    [1, 25, 0, 1, 0, 0], // a=round(.75)=1, b=0, a==n so no val image
    [2, 25, 0, 1, 1, 0], // a=round(1.5)=2, b=round(.5)=1, a+b>n → b=0, then val takes one from train
    [3, 25, 0, 2, 1, 0], // a=round(2.25)=2, b=round(.75)=1
    [3, 0, 0, 3, 0, 0],
    [3, 100, 0, 0, 3, 0], // pct_val 100: all val
    [1, 100, 0, 0, 1, 0],
    [3, 0, 100, 0, 0, 3], // pct_test 100: all test
    [1, 0, 100, 0, 0, 1],
    [3, 50, 50, 0, 2, 1], // val+test=100: a=0, b=round(1.5)=2, c=1
    [2, 50, 50, 0, 1, 1],
    [1, 50, 50, 0, 1, 0], // b=round(.5)=1, c=0 and nothing left to give test
    [4, 99, 1, 0, 3, 1], // b=round(3.96)=4, c=0 → test takes one from val
    [3, 10, 10, 1, 1, 1], // a=round(2.4)=2, b=0 → a=1,b=1; c=1
    [2, 1, 1, 1, 1, 0], // a=2, b=0 → a=1,b=1; c=0 but neither b>1 nor a>1
    [2, 0, 1, 1, 0, 1], // a=round(1.98)=2, c=0 → a=1,c=1
    [5, 0, 20, 4, 0, 1],
    [7, 50, 0, 4, 3, 0], // a=round(3.5)=4, b=round(3.5)=4 → b=n−a=3
    [10, 25, 0, 8, 2, 0], // a=round(7.5)=8, b=round(2.5)=3 → b=2
    [10, 25, 25, 5, 3, 2], // a=5, b=round(2.5)=3, c=2
    [20, 25, 10, 13, 5, 2],
    [100, 33, 33, 34, 33, 33],
  ];
  for (const [n, v, s, train, val, test] of table) t.same(splitCounts(n, v, s), { train, val, test }, `n=${n} val=${v}% test=${s}%`);
});

t.test('splitCounts rejects impossible percentages', async (t) => {
  t.throws(() => splitCounts(10, 60, 50), { code: 'VALIDATION_FAILED' });
  t.throws(() => splitCounts(10, -1, 0), { code: 'VALIDATION_FAILED' });
  t.throws(() => splitCounts(10, 0, 101), { code: 'VALIDATION_FAILED' });
  t.throws(() => splitCounts(2.5, 10, 0), { code: 'VALIDATION_FAILED' });
});

t.test('labels from sorted sub-folders, images only, small categories dropped', async (t) => {
  const root = t.testdir({
    b_class: { ...files('a1.png', 'a2.JPG', 'a3.jpeg', 'notes.txt', 'pic.gif'), sub: files('deep.bmp') },
    a_class: files('x1.ppm', 'x2.pgm', 'x3.png', 'x4.PNG'),
    Zeta_cat: files('z1.png', 'z2.png'), // code-point order puts "Z" before "a"
    c_small: files('only1.png'),
    empty_dir: files('readme.md'),
    'stray.png': '',
  });
  const r = await parseFolder(root, opts({ pctVal: 25, minPerCategory: 2 }));
  t.same(r.labels, ['Zeta cat', 'a class', 'b class']);
  t.same(listed(r, root), [
    'Zeta_cat/z1.png 0', 'Zeta_cat/z2.png 0',
    'a_class/x1.ppm 1', 'a_class/x2.pgm 1', 'a_class/x3.png 1', 'a_class/x4.PNG 1',
    'b_class/a1.png 2', 'b_class/a2.JPG 2', 'b_class/a3.jpeg 2', 'b_class/sub/deep.bmp 2',
  ]);
  t.ok([...r.train, ...r.val].every((l) => path.isAbsolute(l.path)));
  // per category: 2 → 1/1, 4 → 3/1, 4 → 3/1; lines grouped by category
  t.same(r.train.map((l) => l.label), [0, 1, 1, 1, 2, 2, 2]);
  t.same(r.val.map((l) => l.label), [0, 1, 2]);
  t.same(r.test, []);
  t.equal(r.warnings.filter((w) => w.startsWith('Not enough images for this category')).length, 2);
  t.match(r.warnings.join('\n'), /c small/);
  t.same(r.log, ['Found 10 images in 3 categories.', 'Selected 7 for training.', 'Selected 3 for validation.', 'Selected 0 for testing.']);
  t.equal(r.labelCount, 3, 'the kept categories');
});

t.test('fewer than two sub-directories / valid categories', async (t) => {
  const one = t.testdir({ only: files('1.png', '2.png'), 'x.png': '' });
  await t.rejects(parseFolder(one, opts()), { code: 'DATASET_BUILD_FAILED', message: 'folder must contain at least two subdirectories' });
  const root = t.testdir({ a: files('1.png', '2.png'), b: files('readme.txt') });
  await t.rejects(parseFolder(root, opts()), { code: 'DATASET_BUILD_FAILED', message: 'Did not find two valid categories' });
  const tiny = t.testdir({ a: files('1.png', '2.png'), b: files('3.png', '4.png'), c: files('5.png') });
  await t.rejects(parseFolder(tiny, opts({ pctVal: 25, pctTest: 25 })), { message: 'Did not find two valid categories' },
    'a category needs at least one image per non-empty split');
});

t.test('maxPerCategory stops in sorted walk order (files before sub-folders); minPerCategory drops', async (t) => {
  const root = t.testdir({
    a: { ...files('z.png', 'b.png'), sub: files('a.png') },
    b: files('1.png', '2.png', '3.png', '4.png', '5.png'),
    c: files('1.png', '2.png', '3.png', '4.png'),
  });
  const capped = await parseFolder(root, opts({ maxPerCategory: 2 }));
  t.same(listed(capped, root), ['a/b.png 0', 'a/z.png 0', 'b/1.png 1', 'b/2.png 1', 'c/1.png 2', 'c/2.png 2']);
  t.match(capped.warnings.join('\n'), /Reached maximum limit for this category/);
  const all = await parseFolder(root, opts({ maxPerCategory: 3 }));
  t.same(listed(all, root).filter((l) => l.startsWith('a/')), ['a/b.png 0', 'a/sub/a.png 0', 'a/z.png 0']);

  const min4 = await parseFolder(root, opts({ minPerCategory: 4 }));
  t.same(min4.labels, ['b', 'c']);
  t.same(new Set(min4.train.map((l) => l.label)), new Set([0, 1]), 'label index = position among kept labels');
});

t.test('symbolic links: followed inside the allowed root, skipped when they lead outside', async (t) => {
  const base = t.testdir({
    outside: { 'secret.png': '', dir: files('s2.png') },
    data: {
      a_class: {
        ...files('1.png', '2.png'),
        'leak.png': t.fixture('symlink', '../../outside/secret.png'),
        leakdir: t.fixture('symlink', '../../outside/dir'),
        'ok.png': t.fixture('symlink', '../b_class/3.png'),
      },
      b_class: files('3.png', '4.png'),
      c_link: t.fixture('symlink', '../outside/dir'),
    },
  });
  const data = path.join(base, 'data');
  const dataReal = await fs.realpath(data);
  const isAllowed = (p: string) => p === dataReal || p.startsWith(dataReal + path.sep);
  const r = await parseFolder(data, opts({ isAllowed }));
  t.same(r.labels, ['a class', 'b class']);
  t.same(listed(r, data), ['a_class/1.png 0', 'a_class/2.png 0', 'a_class/ok.png 0', 'b_class/3.png 1', 'b_class/4.png 1']);
  t.equal(r.warnings.filter((w) => w.includes('outside the allowed folders')).length, 3);

  const open = await parseFolder(data, opts());
  t.same(open.labels, ['a class', 'b class', 'c link'], 'without confinement the links are followed');
  t.ok(listed(open, data).includes('a_class/leak.png 0'));
  t.ok(listed(open, data).includes('a_class/leakdir/s2.png 0'));

  await t.rejects(parseFolder(data, opts({ isAllowed: () => false })), { code: 'PATH_NOT_ALLOWED' });
});

t.test('a symbolic link loop does not hang and lists each image once', async (t) => {
  const root = t.testdir({
    a_class: { '1.png': '', self: t.fixture('symlink', '.'), sub: { '2.png': '', up: t.fixture('symlink', '..') } },
    b_class: files('3.png', '4.png'),
  });
  const r = await parseFolder(root, opts());
  t.same(listed(r, root), ['a_class/1.png 0', 'a_class/sub/2.png 0', 'b_class/3.png 1', 'b_class/4.png 1']);
  t.equal(r.warnings.filter((w) => w.includes('symbolic link loop')).length, 2);
});

t.test('the split is shuffled from the seed and reproducible', async (t) => {
  const twenty = files(...Array.from({ length: 20 }, (_, i) => `${String(i).padStart(2, '0')}.png`));
  const root = t.testdir({ a: twenty, b: { ...twenty } });
  const run = (seed: number) => parseFolder(root, opts({ pctVal: 25, pctTest: 10, random: createRandom(seed) }));
  const first = await run(5);
  t.same(await run(5), first);
  t.notSame((await run(6)).train, first.train);
  // 20 images → 13 / 5 / 2 per category, grouped by category
  t.same([first.train.length, first.val.length, first.test.length], [26, 10, 4]);
  t.same(first.train.map((l) => l.label), [...Array(13).fill(0), ...Array(13).fill(1)]);
  t.not(first.train.slice(0, 13).map((l) => path.basename(l.path)).join(), Object.keys(twenty).slice(0, 13).join(), 'shuffled');
  t.equal(listed(first, root).length, 40);
  t.same(first.log.slice(1), ['Selected 26 for training.', 'Selected 10 for validation.', 'Selected 4 for testing.']);
});

t.test('a val folder reads the train labels and skips unknown sub-folders', async (t) => {
  const root = t.testdir({ a_class: files('1.png', '2.png'), b_class: files('3.png'), other_x: files('4.png', '5.png') });
  const r = await parseFolder(root, opts({ pctVal: 100, labels: ['b class', 'a class'] }));
  t.same(r.labels, ['b class', 'a class']);
  t.same(r.train, []);
  t.same(listed(r, root), ['a_class/1.png 1', 'a_class/2.png 1', 'b_class/3.png 0']);
  t.match(r.warnings.join('\n'), /Category "other x" not found in labels_file/);
  const single = await parseFolder(root, opts({ pctVal: 100, labels: ['a class', 'zzz'] }));
  t.same(listed(single, root), ['a_class/1.png 0', 'a_class/2.png 0'], 'one known category is enough for a val folder');
});

t.test('a val folder\'s label count leaves out the categories it dropped (DIGITS\' len(labels))', async (t) => {
  const root = t.testdir({ a: files('1.png', '2.png'), b: files('3.png'), c: files('4.png', '5.png'), d: files('6.png', '7.png'), zzz: files('8.png', '9.png') });
  const r = await parseFolder(root, opts({ pctVal: 100, minPerCategory: 2, labels: ['a', 'b', 'c', 'd'] }));
  t.same(r.labels, ['a', 'b', 'c', 'd'], 'the train labels stay as they are');
  t.equal(r.labelCount, 3, 'b has one image under the minimum of 2: 4 − 1 (zzz, not a label, is skipped and counts nothing)');
  t.same(listed(r, root), ['a/1.png 0', 'a/2.png 0', 'c/4.png 2', 'c/5.png 2', 'd/6.png 3', 'd/7.png 3'], 'the images keep their train label indices');
  t.same(r.log[0], 'Found 6 images in 3 categories.');
  const missing = await parseFolder(root, opts({ pctVal: 100, labels: ['a', 'b', 'c', 'd', 'e'] }));
  t.equal(missing.labelCount, 5, 'a label without a sub-folder is not dropped: DIGITS counts it');
});

t.test('relative folder → absolute paths; bad arguments', async (t) => {
  const root = t.testdir({ a: files('1.png'), b: files('2.png') });
  const r = await parseFolder(path.relative(process.cwd(), root), opts());
  t.same(r.train.map((l) => l.path), [path.join(root, 'a', '1.png'), path.join(root, 'b', '2.png')]);
  await t.rejects(parseFolder(path.join(root, 'missing'), opts()), { code: 'DATASET_BUILD_FAILED' });
  await t.rejects(parseFolder(root, opts({ pctVal: 60, pctTest: 50 })), { code: 'VALIDATION_FAILED' });
  await t.rejects(parseFolder(root, opts({ maxPerCategory: 0 })), { code: 'VALIDATION_FAILED' });
});
