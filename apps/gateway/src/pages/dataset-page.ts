/**
 * What the dataset pages show (contract §4.2): the "new" forms of each dataset kind, and the
 * dataset page with its label distribution and mean image (also the summary snippet's data).
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import type { FastifyReply } from 'fastify';
import { DATASET_STAGES as STAGES, Errors, JOB_TYPES, type JobRecord } from '@digits-ts/contracts';
import { DATA_EXTENSIONS, parseInferenceList } from '../forms/index.ts';
import { datasetDetail, datasetDims } from '../job-json.ts';
import type { Services } from '../services.ts';
import { DATASET_LAYOUT, extensionDatasetLayout, PREBUILT_DATASET_LAYOUT } from './form-layouts.ts';
import type { FormPage } from './form-pages.ts';
import { jobRow } from './job-rows.ts';
import { newExtensionDatasetTitle, PAGE_TITLES } from './titles.ts';

export const classificationDatasetPage = (initial: Record<string, string> = {}): FormPage => ({
  title: PAGE_TITLES.newClassificationDataset, action: '/datasets/images/classification', layout: DATASET_LAYOUT, initial, resizeExample: true,
  intro: 'Builds LMDB databases from a folder of class sub-folders or from image lists. Server paths must lie inside the data roots this server was given.',
});

export const prebuiltDatasetPage = (initial: Record<string, string> = {}): FormPage => ({
  title: PAGE_TITLES.newImageDataset, action: '/datasets/images/generic', layout: PREBUILT_DATASET_LAYOUT, initial,
  intro: 'Registers LMDB databases that already exist on the server (inside the data roots); they are analysed, not copied.',
});

export function extensionDatasetPage(extensionId: string, initial: Record<string, string> = {}): FormPage {
  const layout = extensionDatasetLayout(extensionId);
  if (!layout) throw Errors.NOT_FOUND(`unknown data extension "${extensionId}"`);
  return { title: newExtensionDatasetTitle(DATA_EXTENSIONS[extensionId]!.title), action: `/datasets/generic/create/${extensionId}`, layout, initial };
}

/** Images per class of each stage's list file, from the job folder (`path label` lines). */
async function labelDistribution(dir: string): Promise<{ labels: string[]; stages: { stage: string; counts: number[]; total: number }[] } | null> {
  const labelsText = await fs.readFile(path.join(dir, 'labels.txt'), 'utf8').catch(() => null);
  if (labelsText === null) return null;
  const labels = labelsText.split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== '');
  const stages = [];
  for (const stage of STAGES) {
    const text = await fs.readFile(path.join(dir, `${stage}.txt`), 'utf8').catch(() => null);
    if (text === null) continue;
    const counts = new Array<number>(labels.length).fill(0);
    let total = 0;
    for (const line of parseInferenceList(text)) {
      if (line.label !== null && line.label < labels.length) counts[line.label]!++;
      total++;
    }
    stages.push({ stage, counts, total });
  }
  return { labels, stages };
}

/** What the dataset page and the summary snippet show. */
export async function datasetView(services: Services, record: JobRecord) {
  const dir = services.store.jobDir(record.id);
  const hasMean = await fs.stat(path.join(dir, 'mean.jpg')).then(() => true, () => false);
  const classification = record.type === JOB_TYPES.imageClassificationDataset;
  return {
    record,
    row: jobRow(record, null),
    detail: datasetDetail(record, services.config.jobsDir),
    dims: datasetDims(record),
    classification,
    distribution: classification ? await labelDistribution(dir) : null,
    meanUrl: hasMean ? `/files/${record.id}/mean.jpg` : null,
    newModelUrl: classification ? `/models/images/classification/new?dataset=${record.id}` : `/models/images/generic/new?dataset=${record.id}`,
  };
}

export async function sendDatasetPage(services: Services, reply: FastifyReply, record: JobRecord): Promise<FastifyReply> {
  return reply.page('dataset', { title: record.name, ...(await datasetView(services, record)) });
}
