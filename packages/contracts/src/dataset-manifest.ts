/** `dataset-manifest.json`: what a finished dataset build publishes, last. */
import { Type, type Static } from 'typebox';

export const MANIFEST_FILE = 'dataset-manifest.json';

const Stage = Type.Object({ db: Type.String({ pattern: '^[a-z]+_db$' }), entries: Type.Union([Type.Integer({ minimum: 0 }), Type.Null()]) });

export const DatasetManifest = Type.Object({
  format: Type.Literal(1),
  labels: Type.Array(Type.String()),
  stages: Type.Object({ train: Type.Optional(Stage), val: Type.Optional(Stage), test: Type.Optional(Stage) }),
  /** [height, width, channels]. */
  imageDims: Type.Union([Type.Tuple([Type.Integer({ minimum: 1 }), Type.Integer({ minimum: 1 }), Type.Integer({ minimum: 1 })]), Type.Null()]),
  /** The mean file's name in the job folder, when there is a train split. */
  mean: Type.Union([Type.Literal('mean.binaryproto'), Type.Null()]),
});
export type DatasetManifest = Static<typeof DatasetManifest>;

