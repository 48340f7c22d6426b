/**
 * Parse-folder (contract §6.3, DIGITS tools/parse_folder.py): one label per sub-folder, images
 * collected recursively, each category shuffled and split into train / val / test lists.
 */
import fs from 'node:fs/promises';
import type { Dirent } from 'node:fs';
import path from 'node:path';
import { Errors, assert, expected } from '@digits-ts/contracts';
import type { ListLine } from './list-files.ts';
import { shuffleInPlace, type RandomSource } from './random.ts';

/** Image extensions parse-folder collects (compared lower-cased). */
export const IMAGE_EXTENSIONS = ['.png', '.jpg', '.jpeg', '.bmp', '.ppm', '.pgm'] as const;

/** Python 2's `round`: half away from zero (what DIGITS' split arithmetic uses). */
export function roundHalfAwayFromZero(x: number): number {
  return x < 0 ? -Math.round(-x) : Math.round(x);
}

/** How many of a category's images go to each split. */
export interface SplitCounts {
  train: number;
  val: number;
  test: number;
}

/**
 * DIGITS' `three_way_split_indices`: splits `n` images given the validation and test
 * percentages (train gets the rest), guaranteeing an image to every split whose percentage
 * is non-zero when there are enough images.
 */
export function splitCounts(n: number, pctVal: number, pctTest: number): SplitCounts {
  assert(Number.isInteger(n) && n >= 0, () => expected('non-negative integer', 'n', n));
  assert(Number.isFinite(pctVal) && pctVal >= 0 && pctVal <= 100, () => expected('number in 0..100', 'pctVal', pctVal));
  assert(Number.isFinite(pctTest) && pctTest >= 0 && pctTest <= 100, () => expected('number in 0..100', 'pctTest', pctTest));
  assert(pctVal + pctTest <= 100, () => `Expected pctVal + pctTest of at most 100 but received ${pctVal} + ${pctTest}`);
  const pctTrain = 100 - (pctVal + pctTest);
  if (n === 0) return { train: 0, val: 0, test: 0 };
  if (pctTrain >= 100) return { train: n, val: 0, test: 0 };
  if (pctVal >= 100) return { train: 0, val: n, test: 0 };
  if (pctTest >= 100) return { train: 0, val: 0, test: n };
  let a = roundHalfAwayFromZero((n * pctTrain) / 100);
  if (pctTrain > 0 && a === 0) a = 1;
  let b = roundHalfAwayFromZero((n * pctVal) / 100);
  if (a + b > n) b = n - a;
  if (pctVal > 0 && b === 0) {
    if (a > 1) {
      a -= 1;
      b = 1;
    } else if (a !== n) {
      b = 1;
    }
  }
  let c = n - (a + b);
  if (pctTest > 0 && c === 0) {
    if (b > 1) {
      b -= 1;
      c = 1;
    } else if (a > 1) {
      a -= 1;
      c = 1;
    }
  }
  return { train: a, val: b, test: c };
}

/** Options of `parseFolder`. */
export interface ParseFolderOptions {
  /** Percentage of each category for validation (0..100). */
  pctVal: number;
  /** Percentage of each category for testing (0..100); pctVal + pctTest ≤ 100. */
  pctTest: number;
  /** Categories with fewer images are dropped (values ≤ 0 count as 1). */
  minPerCategory: number;
  /** Stop collecting a category after this many images (walk order). */
  maxPerCategory?: number;
  /** Shuffles each category before splitting (`createRandom(seed)` for reproducible splits). */
  random: RandomSource;
  /** The train parse's labels, for a separate val/test folder: unknown sub-folders are skipped. */
  labels?: readonly string[];
  /** Path confinement: a symbolic link whose target's real path is not allowed is skipped. */
  isAllowed?: (realPath: string) => boolean;
}

/** What `parseFolder` found. */
export interface ParseFolderResult {
  /** Labels of the kept categories (or the given `labels`); line i of labels.txt names label i. */
  labels: string[];
  /**
   * DIGITS' category count (its `len(labels)` at the end, the parse task's `label_count`): the
   * kept categories; for given labels, their number less the categories dropped for too few
   * images (sub-folders not among the labels are skipped and change nothing).
   */
  labelCount: number;
  train: ListLine[];
  val: ListLine[];
  test: ListLine[];
  /** Skipped links, unknown or too-small categories, … */
  warnings: string[];
  /** DIGITS' summary lines: `Found N images in M categories.`, `Selected X for training.`, … */
  log: string[];
}

/** Compares by Unicode code point, like Python's `sorted` on str (plain `<` compares UTF-16 units). */
export function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x === y) continue;
    if (x >= 0xd800 && y >= 0xd800) {
      x = x >= 0xe000 ? x - 0x800 : x + 0x2000;
      y = y >= 0xe000 ? y - 0x800 : y + 0x2000;
    }
    return x - y;
  }
  return a.length - b.length;
}

function isImageName(name: string): boolean {
  const lower = name.toLowerCase();
  return IMAGE_EXTENSIONS.some((ext) => lower.endsWith(ext));
}

/** Where skipped-link warnings go and which link targets are allowed. */
interface LinkPolicy {
  warnings: string[];
  isAllowed: ((realPath: string) => boolean) | undefined;
}

/** One category's walk: images found so far and directories already walked. */
interface Walk extends LinkPolicy {
  max: number;
  files: string[];
  visited: Set<string>;
}

type Resolved = { kind: 'dir' | 'file'; real: string } | null;

/** Follows a symbolic link found during the walk; null (with a warning) when it must be skipped. */
async function resolveLink(linkPath: string, walk: LinkPolicy): Promise<Resolved> {
  let real: string;
  try {
    real = await fs.realpath(linkPath);
  } catch {
    walk.warnings.push(`Skipping "${linkPath}": broken symbolic link`);
    return null;
  }
  if (walk.isAllowed && !walk.isAllowed(real)) {
    walk.warnings.push(`Skipping "${linkPath}": link target "${real}" is outside the allowed folders`);
    return null;
  }
  const stat = await fs.stat(real).catch(() => null);
  if (stat?.isDirectory()) return { kind: 'dir', real };
  return stat?.isFile() ? { kind: 'file', real } : null;
}

async function readSorted(dir: string, walk: LinkPolicy): Promise<Dirent[] | null> {
  try {
    const entries = await fs.readdir(dir, { withFileTypes: true });
    return entries.sort((x, y) => compareCodePoints(x.name, y.name));
  } catch (err) {
    walk.warnings.push(`Skipping "${dir}": ${(err as Error).message}`);
    return null;
  }
}

/**
 * os.walk(followlinks=True) order, made deterministic: a directory's image files (sorted), then
 * its sub-directories (sorted), depth first. `real` is the directory's resolved path; plain
 * entries inherit it, so only links cost a realpath. A directory is never walked twice (loops).
 */
async function walkImages(dir: string, real: string, walk: Walk): Promise<void> {
  walk.visited.add(real);
  const entries = await readSorted(dir, walk);
  if (!entries) return;
  const subdirs: Array<{ path: string; real: string }> = [];
  for (const entry of entries) {
    if (walk.files.length >= walk.max) return;
    const entryPath = path.join(dir, entry.name);
    if (entry.isFile()) {
      if (isImageName(entry.name)) walk.files.push(entryPath);
    } else if (entry.isDirectory()) {
      subdirs.push({ path: entryPath, real: path.join(real, entry.name) });
    } else if (entry.isSymbolicLink()) {
      const target = await resolveLink(entryPath, walk);
      if (target?.kind === 'file' && isImageName(entry.name)) walk.files.push(entryPath);
      else if (target?.kind === 'dir') subdirs.push({ path: entryPath, real: target.real });
    }
  }
  for (const sub of subdirs) {
    if (walk.files.length >= walk.max) return;
    if (walk.visited.has(sub.real)) {
      walk.warnings.push(`Skipping "${sub.path}": directory "${sub.real}" was already walked (symbolic link loop)`);
      continue;
    }
    await walkImages(sub.path, sub.real, walk);
  }
}

interface Category {
  name: string;
  path: string;
  real: string;
}

/** The folder's immediate sub-directories (links followed and confined), sorted by path. */
async function listCategories(root: string, rootReal: string, walk: LinkPolicy): Promise<Category[]> {
  const entries = await readSorted(root, walk);
  if (!entries) throw Errors.DATASET_BUILD_FAILED(`cannot read folder "${root}"`);
  const categories: Category[] = [];
  for (const entry of entries) {
    const entryPath = path.join(root, entry.name);
    if (entry.isDirectory()) categories.push({ name: entry.name, path: entryPath, real: path.join(rootReal, entry.name) });
    else if (entry.isSymbolicLink()) {
      const target = await resolveLink(entryPath, walk);
      if (target?.kind === 'dir') categories.push({ name: entry.name, path: entryPath, real: target.real });
    }
  }
  return categories;
}

function checkOptions(opts: ParseFolderOptions): void {
  splitCounts(0, opts.pctVal, opts.pctTest); // validates the percentages
  assert(Number.isInteger(opts.minPerCategory), () => expected('integer', 'minPerCategory', opts.minPerCategory));
  const max = opts.maxPerCategory;
  assert(max === undefined || (Number.isInteger(max) && max >= 1), () => expected('positive integer', 'maxPerCategory', max));
  assert(typeof opts.random === 'function', () => expected('function', 'random', opts.random));
}

/** A category's images (walk order, capped at `max`), with the warnings the walk produced. */
async function collectImages(category: Category, labelName: string, max: number, policy: LinkPolicy): Promise<string[]> {
  const walk: Walk = { ...policy, max, files: [], visited: new Set() };
  await walkImages(category.path, category.real, walk);
  if (walk.files.length >= max) policy.warnings.push(`Reached maximum limit for this category ("${labelName}")`);
  return walk.files;
}

/**
 * Parses `folder` (a directory of category sub-directories) into labels and train / val / test
 * image lists (absolute paths, grouped by category). Throws DATASET_BUILD_FAILED when fewer than
 * two sub-directories exist or, when creating labels, fewer than two categories survive.
 */
export async function parseFolder(folder: string, opts: ParseFolderOptions): Promise<ParseFolderResult> {
  assert(typeof folder === 'string' && folder.length > 0, () => expected('non-empty path', 'folder', folder));
  checkOptions(opts);
  const root = path.resolve(folder);
  const rootReal = await fs.realpath(root).catch((err: unknown) => {
    throw Errors.DATASET_BUILD_FAILED(`folder "${folder}" does not exist`, { cause: err });
  });
  if (opts.isAllowed && !opts.isAllowed(rootReal)) throw Errors.PATH_NOT_ALLOWED(`folder "${folder}" is outside the allowed folders`);
  const warnings: string[] = [];
  const policy: LinkPolicy = { warnings, isAllowed: opts.isAllowed };
  const categories = await listCategories(root, rootReal, policy);
  if (categories.length < 2) throw Errors.DATASET_BUILD_FAILED('folder must contain at least two subdirectories');

  // DIGITS creates labels when the train share is non-zero; a val/test folder reads the train labels
  const createLabels = opts.labels === undefined;
  const labels = createLabels ? [] : [...(opts.labels as readonly string[])];
  const requiredSplits = [100 - (opts.pctVal + opts.pctTest), opts.pctVal, opts.pctTest].filter((pct) => pct > 0).length;
  const minimum = Math.max(1, opts.minPerCategory);
  const result: ParseFolderResult = { labels, labelCount: 0, train: [], val: [], test: [], warnings, log: [] };
  let kept = 0;
  let dropped = 0;
  for (const category of categories) {
    const labelName = category.name.replaceAll('_', ' ');
    let labelIndex = labels.indexOf(labelName);
    if (!createLabels && labelIndex < 0) {
      warnings.push(`Category "${labelName}" not found in labels_file. Skipping.`);
      continue;
    }
    const files = await collectImages(category, labelName, opts.maxPerCategory ?? Infinity, policy);
    if (files.length === 0 || files.length < requiredSplits || files.length < minimum) {
      warnings.push(`Not enough images for this category ("${labelName}": ${files.length} found)`);
      dropped++;
      continue;
    }
    if (createLabels) labelIndex = labels.push(labelName) - 1;
    kept++;
    shuffleInPlace(files, opts.random);
    const counts = splitCounts(files.length, opts.pctVal, opts.pctTest);
    files.forEach((file, i) => {
      const target = i < counts.train ? result.train : i < counts.train + counts.val ? result.val : result.test;
      target.push({ path: file, label: labelIndex });
    });
  }
  if (createLabels && kept < 2) throw Errors.DATASET_BUILD_FAILED('Did not find two valid categories', { details: { warnings } });
  result.labelCount = createLabels ? kept : Math.max(0, labels.length - dropped);
  const total = result.train.length + result.val.length + result.test.length;
  result.log.push(
    `Found ${total} images in ${result.labelCount} categories.`,
    `Selected ${result.train.length} for training.`,
    `Selected ${result.val.length} for validation.`,
    `Selected ${result.test.length} for testing.`,
  );
  return result;
}
