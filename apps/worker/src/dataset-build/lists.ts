/**
 * Stage lists: what each DB of a dataset will hold. Folder datasets are parsed and split
 * (contract §6.3); textfile datasets read their uploaded or server lists (§6.4).
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { DATASET_STAGES, Errors, type DatasetBuildOptions, type DatasetStage, type ParseFolderTask } from '@digits-ts/contracts';
import { isWithinRoots } from '@digits-ts/config';
import { formatLabels, formatListLines, parseFolder, parseImageList, parseLabelsText, type ListLine, type RandomSource } from '@digits-ts/dataset';

export type Stage = DatasetStage;
export const STAGES: readonly Stage[] = DATASET_STAGES;

export interface StageLists {
  labels: string[];
  lists: Record<Stage, ListLine[]>;
  parseFolderTasks: ParseFolderTask[];
  /** Lines refused before any image is read (outside DATA_ROOTS, URLs). */
  refused: Array<{ source: string; code: string; message: string }>;
  warnings: string[];
}

/** DIGITS' parse-task name: the sets the parse produces, joined with `/`. */
function parseTaskName(pctVal: number, pctTest: number): string {
  const sets = [pctVal + pctTest < 100 ? 'train' : null, pctVal > 0 ? 'val' : null, pctTest > 0 ? 'test' : null].filter(Boolean);
  return `Parse Folder (${sets.join('/')})`;
}

async function fromFolders(folder: NonNullable<DatasetBuildOptions['folder']>, roots: readonly string[], random: RandomSource): Promise<StageLists> {
  const isAllowed = (real: string) => isWithinRoots(real, roots);
  const train = await parseFolder(folder.train.folder, {
    pctVal: folder.pctVal, pctTest: folder.pctTest, minPerCategory: folder.train.minPerClass,
    ...(folder.train.maxPerClass === null ? {} : { maxPerCategory: folder.train.maxPerClass }), random, isAllowed,
  });
  const lists = { train: train.train, val: train.val, test: train.test };
  const tasks: ParseFolderTask[] = [{ name: parseTaskName(folder.pctVal, folder.pctTest), label_count: train.labelCount, train_count: train.train.length, val_count: train.val.length, test_count: train.test.length }];
  const warnings = [...train.warnings];
  for (const stage of ['val', 'test'] as const) {
    const split = folder[stage];
    if (!split) continue;
    // a separate folder reads the train parse's labels and goes wholly to its set
    const parsed = await parseFolder(split.folder, {
      pctVal: stage === 'val' ? 100 : 0, pctTest: stage === 'test' ? 100 : 0, minPerCategory: split.minPerClass,
      ...(split.maxPerClass === null ? {} : { maxPerCategory: split.maxPerClass }), random, isAllowed, labels: train.labels,
    });
    lists[stage] = parsed[stage];
    warnings.push(...parsed.warnings);
    // DIGITS counts the train labels less the categories this folder dropped for too few images
    tasks.push({ name: `Parse Folder (${stage})`, label_count: parsed.labelCount, train_count: 0, val_count: parsed.val.length, test_count: parsed.test.length });
  }
  return { labels: train.labels, lists, parseFolderTasks: tasks, refused: [], warnings };
}

async function readList(jobDir: string, source: { source: 'upload' | 'server'; path: string }, storedName: string): Promise<string> {
  if (source.source === 'upload') return fs.readFile(path.join(jobDir, source.path), 'utf8');
  const text = await fs.readFile(source.path, 'utf8');
  await fs.writeFile(path.join(jobDir, storedName), text); // kept with the job, as DIGITS 6.1 does
  return text;
}

/** Joins relative entries to the list's folder and refuses URLs and paths outside DATA_ROOTS. */
function resolveLines(lines: ListLine[], folder: string | null, roots: readonly string[], refused: StageLists['refused']): ListLine[] {
  const kept: ListLine[] = [];
  for (const line of lines) {
    if (/^[a-z][a-z0-9+.-]*:\/\//i.test(line.path)) {
      refused.push({ source: line.path, code: 'PATH_NOT_ALLOWED', message: 'URLs are not fetched; list files inside DATA_ROOTS' });
      continue;
    }
    const resolved = path.resolve(folder ?? '/', line.path);
    if (!isWithinRoots(resolved, roots)) refused.push({ source: line.path, code: 'PATH_NOT_ALLOWED', message: `"${line.path}" is outside the folders listed in DATA_ROOTS` });
    else kept.push({ path: resolved, label: line.label });
  }
  return kept;
}

async function fromTextfiles(jobDir: string, textfile: NonNullable<DatasetBuildOptions['textfile']>, roots: readonly string[]): Promise<StageLists> {
  const labels = parseLabelsText(await readList(jobDir, textfile.labels, 'labels.txt'));
  const refused: StageLists['refused'] = [];
  const lists: Record<Stage, ListLine[]> = { train: [], val: [], test: [] };
  for (const stage of STAGES) {
    const source = textfile[stage];
    if (!source) continue;
    const lines = parseImageList(await readList(jobDir, source, `${stage}.txt`));
    if (lines.length === 0) throw Errors.DATASET_BUILD_FAILED(`No valid lines in input file (${stage})`);
    lists[stage] = resolveLines(lines, source.folder, roots, refused);
  }
  return { labels, lists, parseFolderTasks: [], refused, warnings: [] };
}

/** Builds the stage lists and writes labels.txt and the list files into the job folder. */
export async function buildStageLists(jobDir: string, options: DatasetBuildOptions, roots: readonly string[], random: RandomSource): Promise<StageLists> {
  if (options.method === 'textfile' && options.textfile) return fromTextfiles(jobDir, options.textfile, roots);
  if (!options.folder) throw Errors.INVALID_PAYLOAD('folder options missing for method folder');
  const result = await fromFolders(options.folder, roots, random);
  await fs.writeFile(path.join(jobDir, 'labels.txt'), formatLabels(result.labels));
  for (const stage of STAGES) {
    if (result.lists[stage].length > 0) await fs.writeFile(path.join(jobDir, `${stage}.txt`), formatListLines(result.lists[stage]));
  }
  return result;
}
