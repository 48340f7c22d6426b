// The README's figures are what the code gives: the walkthrough's MNIST split (train/val entries)
// comes from DIGITS' per-category split arithmetic (`splitCounts`, which `parseFolder` applies
// to each category) on the real MNIST's per-digit counts at the form's default 25 % validation.
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { createRandom, parseFolder, splitCounts } from '@digits-ts/dataset';
import { readMnist } from '../../scripts/mnist.ts';

const README = fs.readFileSync(path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../README.md'), 'utf8');
/** The dataset form's `folder_pct_val` default, which the walkthrough leaves unset. */
const DEFAULT_PCT_VAL = 25;

/** Images per digit in MNIST's training set. */
async function mnistTrainCounts(): Promise<number[]> {
  const counts = new Array<number>(10).fill(0);
  for (const label of (await readMnist('train')).labels) counts[label]!++;
  return counts;
}

t.test("the walkthrough's MNIST split is the one the code makes", async (t) => {
  const counts = await mnistTrainCounts();
  t.equal(counts.reduce((a, b) => a + b, 0), 60000, "MNIST's training set");
  const splits = counts.map((n) => splitCounts(n, DEFAULT_PCT_VAL, 0));
  const train = splits.reduce((a, s) => a + s.train, 0);
  const val = splits.reduce((a, s) => a + s.val, 0);
  t.same([train, val], [45002, 14998], 'rounded per digit, not 45000 / 15000');

  const json = /datasets\/[\w-]+\.json\s+#.*?(\d+) train \/ (\d+) val entries/.exec(README);
  t.ok(json, 'the walkthrough states the entries of the dataset JSON');
  t.same(json?.slice(1).map(Number), [train, val], 'the dataset JSON line');
  const prose = /(\d[\d ]*\d) for training and (\d[\d ]*\d) for validation/.exec(README);
  t.same(prose?.slice(1).map((x) => Number(x.replace(/ /g, ''))), [train, val], 'the sentence under the walkthrough');
  const cli = /Create DB \(train\): (\d+) entries/.exec(README);
  t.equal(Number(cli?.[1]), train, 'the CLI example');
});

t.test('parseFolder splits each category with that arithmetic', async (t) => {
  // small categories with the same sizes modulo 4 as MNIST's digits: at 25 % the rounding of
  // each category depends only on that, so the totals differ from a straight 75/25 the same way
  const sizes = (await mnistTrainCounts()).map((n) => 40 + (n % 4) + (n % 10));
  const root = await fsp.mkdtemp(path.join(os.tmpdir(), 'digits-ts-split-'));
  t.teardown(() => fsp.rm(root, { recursive: true, force: true }));
  for (const [digit, size] of sizes.entries()) {
    await fsp.mkdir(path.join(root, String(digit)));
    for (let i = 0; i < size; i++) await fsp.writeFile(path.join(root, String(digit), `${i}.png`), '');
  }
  const result = await parseFolder(root, { pctVal: DEFAULT_PCT_VAL, pctTest: 0, minPerCategory: 2, random: createRandom(1) });
  const expected = sizes.map((n) => splitCounts(n, DEFAULT_PCT_VAL, 0));
  t.equal(result.train.length, expected.reduce((a, s) => a + s.train, 0));
  t.equal(result.val.length, expected.reduce((a, s) => a + s.val, 0));
  t.not(result.val.length, Math.round(sizes.reduce((a, b) => a + b, 0) / 4), 'not a straight quarter of the total');
});
