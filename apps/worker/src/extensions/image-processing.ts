/**
 * The image-processing extension (contract §7.5): input/label image pairs from two folders,
 * paired by position and base name, split by a seeded permutation, loaded with §6.6's rules.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { Errors, type ImageProcessingOptions } from '@digits-ts/contracts';
import { isWithinRoots } from '@digits-ts/config';
import { compareCodePoints, createRandom, IMAGE_EXTENSIONS, shuffleInPlace } from '@digits-ts/dataset';
import { decodeImage, toChannels, type RawImage } from '@digits-ts/imaging';
import { confinedRealPath, readImageFile } from '../confined-path.ts';
import { mapInOrder } from '../in-order.ts';

export interface ImagePair { feature: string; label: string }

/** The pairs of each stage; the test stage is always empty (§7.5). */
export interface StagePairs { train_db: ImagePair[]; val_db: ImagePair[]; test_db: ImagePair[] }

const isImageName = (name: string) => IMAGE_EXTENSIONS.some((ext) => name.toLowerCase().endsWith(ext));

/** Walks `dir` depth first, following links whose target stays inside `roots`; a folder is walked once. */
async function walk(dir: string, roots: readonly string[], visited: Set<string>, out: string[]): Promise<void> {
  const real = await fs.realpath(dir);
  if (visited.has(real)) return;
  visited.add(real);
  for (const entry of await fs.readdir(dir, { withFileTypes: true })) {
    const entryPath = path.join(dir, entry.name);
    let kind: 'dir' | 'file' | null = entry.isDirectory() ? 'dir' : entry.isFile() ? 'file' : null;
    if (entry.isSymbolicLink()) {
      const target = await fs.realpath(entryPath).catch(() => null);
      // a link out of DATA_ROOTS is skipped like a broken one: its target is never read
      const stat = target && isWithinRoots(target, roots) ? await fs.stat(target).catch(() => null) : null;
      kind = stat?.isDirectory() ? 'dir' : stat?.isFile() ? 'file' : null;
    }
    if (kind === 'dir') await walk(entryPath, roots, visited, out);
    else if (kind === 'file' && isImageName(entry.name)) out.push(entryPath);
  }
}

/** Every supported image under `folder` (recursively), sorted by full path as DIGITS sorts them. */
export async function listImages(folder: string, roots: readonly string[]): Promise<string[]> {
  // the gateway checked the folder; the worker checks it again, as it does every path
  await confinedRealPath(folder, roots, () => Errors.DATASET_BUILD_FAILED(`Folder "${folder}" does not exist or is not reachable`));
  const found: string[] = [];
  await walk(folder, roots, new Set(), found);
  if (found.length === 0) throw Errors.DATASET_BUILD_FAILED(`Unable to find supported images in ${folder}`);
  return found.sort(compareCodePoints);
}

/** `os.path.splitext(basename)[0]`. */
const baseName = (file: string) => path.parse(file).name;

/** Pairs the two sorted lists by position; the base names at each position must agree. */
export function pairImages(features: readonly string[], labels: readonly string[]): ImagePair[] {
  if (features.length !== labels.length) throw Errors.DATASET_BUILD_FAILED(`Expect same number of images in feature and label folders (${features.length}!=${labels.length})`);
  return features.map((feature, i) => {
    const label = labels[i]!;
    if (baseName(feature) !== baseName(label)) throw Errors.DATASET_BUILD_FAILED(`No corresponding feature/label pair found for (${baseName(feature)},${baseName(label)})`);
    return { feature, label };
  });
}

/**
 * Train/val split: with validation folders each set is its folders' pairs in sorted order; else
 * the pairs permuted by `seed`, the first ⌊n·pctVal/100⌋ to val and the rest to train.
 */
export function splitPairs(pairs: ImagePair[], options: Pick<ImageProcessingOptions, 'pctVal' | 'seed'>, valPairs: ImagePair[] | null): StagePairs {
  if (valPairs) return { train_db: pairs, val_db: valPairs, test_db: [] };
  const permuted = shuffleInPlace([...pairs], createRandom(options.seed));
  const nVal = Math.floor((pairs.length * options.pctVal) / 100);
  return { train_db: permuted.slice(nVal), val_db: permuted.slice(0, nVal), test_db: [] };
}

/** Lists, pairs and splits the dataset's folders. */
export async function stagePairs(options: ImageProcessingOptions, roots: readonly string[]): Promise<StagePairs> {
  const pairsOf = async (featureFolder: string, labelFolder: string) => pairImages(await listImages(featureFolder, roots), await listImages(labelFolder, roots));
  const pairs = await pairsOf(options.featureFolder, options.labelFolder);
  const val = options.valFeatureFolder && options.valLabelFolder ? await pairsOf(options.valFeatureFolder, options.valLabelFolder) : null;
  return splitPairs(pairs, options, val);
}

/** One image file loaded as §6.6 says (mode L or RGB), then converted per `channel_conversion`. */
export async function loadImage(file: string, conversion: ImageProcessingOptions['channelConversion'], roots: readonly string[], maxPixels: number): Promise<RawImage> {
  const real = await confinedRealPath(file, roots, () => Errors.IMAGE_NOT_FOUND(`"${file}" not found`));
  const bytes = await readImageFile(real, maxPixels, `"${file}"`, (why) => Errors.IMAGE_NOT_FOUND(`"${file}" cannot be read: ${why}`));
  const image = await decodeImage(bytes, { maxPixels });
  return conversion === 'none' ? image : toChannels(image, conversion === 'RGB' ? 3 : 1);
}

/** What loading the pairs needs besides the extension's options. */
export interface PairLoading { roots: readonly string[]; maxPixels: number; threads: number; signal?: AbortSignal }

/**
 * The stage's pairs loaded in order, at most `threads` pairs read ahead of the consumer (the
 * stage writer); any unreadable file fails the stage (§7.5).
 */
export function pairEntries(pairs: readonly ImagePair[], conversion: ImageProcessingOptions['channelConversion'], how: PairLoading): AsyncGenerator<{ feature: RawImage; label: RawImage }> {
  const load = (file: string) => loadImage(file, conversion, how.roots, how.maxPixels);
  function* unlessAborted(): Generator<ImagePair> {
    for (const pair of pairs) {
      how.signal?.throwIfAborted();
      yield pair;
    }
  }
  return mapInOrder(unlessAborted(), how.threads, async (pair) => ({ feature: await load(pair.feature), label: await load(pair.label) }));
}
