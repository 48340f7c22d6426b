/**
 * `explore-dataset`: one page of a dataset DB as pictures, for the explore galleries
 * (`/datasets/images/classification/explore`, `/datasets/generic/explore`, contract §4.2).
 */
import type { Job } from 'bullmq';
import { DATASET_STAGES as STAGES, Errors, payloadChecker, type DatasetManifest, type ExploreEntry, type ResultOf } from '@digits-ts/contracts';
import { decodeDatum, labelOfDatumKey, openDbReader, readDatasetManifest, readDbPage, stageDbPath, type DbEntry, type DbPage } from '@digits-ts/dataset';
import { decodeImage, encodeImage, sniffImageType } from '@digits-ts/imaging';
import type { WorkerContext } from '../context.ts';
import { datumInput } from '../inference/source-inputs.ts';

export const name = 'explore-dataset';

/**
 * The DB folder `db` names: a stage of a classification dataset, else one of the DB folders
 * the manifest records (compared resolved, so `./train_db/features/` matches). Nothing else is
 * ever opened, so a crafted `db` cannot reach other folders.
 */
function dbFolder(datasetId: string, dir: string, manifest: DatasetManifest, db: string): string {
  if ((manifest.kind ?? 'classification') === 'classification') {
    const stage = STAGES.find((s) => s === db);
    const known = stage ? manifest.stages[stage] : undefined;
    if (known) return stageDbPath(dir, known.db);
    throw Errors.NOT_FOUND(`dataset ${datasetId} has no "${db}" DB; it has ${STAGES.filter((s) => manifest.stages[s]).join(', ') || 'none'}`);
  }
  const folders = STAGES.flatMap((s) => [manifest.stages[s]?.db, manifest.stages[s]?.labelDb]).filter((f): f is string => typeof f === 'string');
  const wanted = stageDbPath(dir, db);
  const found = folders.find((f) => stageDbPath(dir, f) === wanted);
  if (found) return wanted;
  throw Errors.NOT_FOUND(`dataset ${datasetId} has no DB "${db}"; it has ${folders.join(', ') || 'none'}`);
}

/** An entry as a picture: PNG/JPEG as stored, anything else (raw pixels, other formats) as PNG. */
async function pictureOf(entry: DbEntry, db: string, classification: boolean, maxPixels: number): Promise<ExploreEntry> {
  const datum = decodeDatum(entry.value);
  const label = classification ? labelOfDatumKey(entry.key) ?? datum.label : null;
  const input = datumInput(entry.key, datum, db);
  if (input.kind === 'raw') return { key: entry.key, label, mime: 'image/png', data: (await input.toPng()).toString('base64') };
  const type = sniffImageType(input.bytes);
  if (type === 'png' || type === 'jpeg') return { key: entry.key, label, mime: type === 'png' ? 'image/png' : 'image/jpeg', data: input.bytes.toString('base64') };
  const png = await encodeImage(await decodeImage(input.bytes, { maxPixels }), 'png');
  return { key: entry.key, label, mime: 'image/png', data: png.toString('base64') };
}

/**
 * A segmentation label (§7.6: 1×H×W class indices, raw or PNG) coloured through the dataset's
 * palette, as DIGITS shows label DBs; anything but a one-channel image is drawn as stored.
 */
async function colouredLabel(entry: DbEntry, db: string, palette: readonly number[], maxPixels: number): Promise<ExploreEntry | null> {
  const input = datumInput(entry.key, decodeDatum(entry.value), db);
  const image = input.kind === 'raw' ? { data: input.pixels, channels: input.channels } : await decodeImage(input.bytes, { maxPixels });
  if (image.channels !== 1) return null;
  const rgb = Buffer.alloc(image.data.length * 3);
  image.data.forEach((k, p) => { rgb.set([palette[k * 3] ?? 0, palette[k * 3 + 1] ?? 0, palette[k * 3 + 2] ?? 0], p * 3); });
  const { height, width } = input.kind === 'raw' ? input : (image as { height: number; width: number });
  const png = await encodeImage({ data: rgb, width, height, channels: 3 }, 'png');
  return { key: entry.key, label: null, mime: 'image/png', data: png.toString('base64') };
}

export function createExploreDatasetProcessor(ctx: WorkerContext) {
  return async function process(job: Job): Promise<ResultOf<'explore-dataset'>> {
    const { datasetId, db, page, size, label } = payloadChecker('explore-dataset').parse(job.data, 'explore-dataset payload');
    const record = await ctx.store.get(datasetId);
    if (!record) throw Errors.JOB_NOT_FOUND('Job not found');
    if (record.kind !== 'dataset') throw Errors.DATASET_NOT_FOUND(`job ${datasetId} is a model, not a dataset`);
    const dir = ctx.store.jobDir(datasetId);
    const manifest = await readDatasetManifest(dir);
    const classification = (manifest.kind ?? 'classification') === 'classification';
    if (!classification && label !== null) throw Errors.BAD_REQUEST(`dataset ${datasetId} is a generic dataset; its entries have no class to filter by`);
    const reader = openDbReader(dbFolder(datasetId, dir, manifest, db));
    let found: DbPage;
    try {
      found = readDbPage(reader, { page, size, label });
    } finally {
      reader.close();
    }
    const palette = record.generic?.extensionData?.color_palette ?? null;
    const labelDb = palette !== null && STAGES.some((s) => manifest.stages[s]?.labelDb && stageDbPath(dir, manifest.stages[s]!.labelDb!) === stageDbPath(dir, db));
    const entries = await Promise.all(found.entries.map(async (entry) => (labelDb ? await colouredLabel(entry, db, palette!, ctx.config.imageMaxPixels) : null)
      ?? pictureOf(entry, db, classification, ctx.config.imageMaxPixels)));
    return { total: found.total, labels: classification ? manifest.labels : [], entries };
  };
}
