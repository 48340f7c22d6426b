/**
 * Prebuilt-LMDB ("image-other") datasets, `POST /datasets/images/generic[.json]` (contract §7.4):
 * LMDBs the user already has, named by server paths that must lie inside DATA_ROOTS (§14). Here
 * the options the analyze job takes and the DB fields it reads; the form is the gateway's
 * (apps/gateway/src/forms/prebuilt-dataset-form.ts).
 */
import { Type, type Static } from 'typebox';

const Path = Type.Union([Type.String({ minLength: 1 }), Type.Null()]);

export const PrebuiltDatasetOptions = Type.Object({
  method: Type.Literal('prebuilt'),
  trainImages: Type.String({ minLength: 1 }),
  trainLabels: Path,
  valImages: Path,
  valLabels: Path,
  meanFile: Path,
  forceSameShape: Type.Boolean(),
}, { additionalProperties: false });
export type PrebuiltDatasetOptions = Static<typeof PrebuiltDatasetOptions>;

/** One Analyze-DB task (§7.4): a DB's entry count and `<W>x<H>x<C>` shape once read. */
export const AnalyzeDbTask = Type.Object({
  name: Type.String(),
  path: Type.String(),
  entries: Type.Union([Type.Integer({ minimum: 0 }), Type.Null()]),
  shape: Type.Union([Type.String(), Type.Null()]),
});
export type AnalyzeDbTask = Static<typeof AnalyzeDbTask>;

/** The DB fields of the form with the task names DIGITS gives their Analyze-DB tasks. */
export const PREBUILT_DBS = [
  { field: 'prebuilt_train_images', key: 'trainImages', task: 'Analyze DB (train_images)' },
  { field: 'prebuilt_train_labels', key: 'trainLabels', task: 'Analyze DB (train_labels)' },
  { field: 'prebuilt_val_images', key: 'valImages', task: 'Analyze DB (val_images)' },
  { field: 'prebuilt_val_labels', key: 'valLabels', task: 'Analyze DB (val_labels)' },
] as const;
