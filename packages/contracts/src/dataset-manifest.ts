/** `dataset-manifest.json`: what a finished dataset build publishes, last. */
import { Type, type Static } from 'typebox';

export const MANIFEST_FILE = 'dataset-manifest.json';

/** A dataset's splits, in DIGITS' order: one DB (and list file) each. */
export const DATASET_STAGES = ['train', 'val', 'test'] as const;
export type DatasetStage = (typeof DATASET_STAGES)[number];

const Stage = Type.Object({
  /** The features LMDB: relative to the dataset folder (`train_db`, `train_db/features`) or absolute (prebuilt, §7.4). */
  db: Type.String({ minLength: 1 }),
  /** The label-vector LMDB of a generic dataset, when its labels are arrays (§7.2). */
  labelDb: Type.Optional(Type.Union([Type.String({ minLength: 1 }), Type.Null()])),
  entries: Type.Union([Type.Integer({ minimum: 0 }), Type.Null()]),
});

export const DatasetManifest = Type.Object({
  format: Type.Literal(1),
  /** `classification`: integer labels named by `labels`; `generic`: whatever the label DBs hold. Absent → classification. */
  kind: Type.Optional(Type.Union([Type.Literal('classification'), Type.Literal('generic')])),
  labels: Type.Array(Type.String()),
  stages: Type.Object({ train: Type.Optional(Stage), val: Type.Optional(Stage), test: Type.Optional(Stage) }),
  /** [height, width, channels]. */
  imageDims: Type.Union([Type.Tuple([Type.Integer({ minimum: 1 }), Type.Integer({ minimum: 1 }), Type.Integer({ minimum: 1 })]), Type.Null()]),
  /** The mean file's name in the job folder, when there is a train split. */
  mean: Type.Union([Type.Literal('mean.binaryproto'), Type.Null()]),
  /** How inference resizes inputs to `imageDims` (§6.5); generic datasets squash. */
  resizeMode: Type.Optional(Type.String()),
});
export type DatasetManifest = Static<typeof DatasetManifest>;

