/**
 * DIGITS' page titles: the `<title>` each of its templates gives the pages we serve, so a script
 * that reads a page's title (or checks for it in the body) finds what DIGITS wrote there.
 *
 * | page                                          | DIGITS template (title block)              | title                               |
 * |-----------------------------------------------|--------------------------------------------|-------------------------------------|
 * | `GET /`                                       | home.html (none: layout's default)         | DIGITS                              |
 * | `GET /login`                                  | login.html (none)                          | DIGITS                              |
 * | `GET /datasets/images/classification/new`     | datasets/images/classification/new.html    | New Image Classification Dataset    |
 * | `GET /datasets/images/generic/new`            | datasets/images/generic/new.html           | New Image Dataset                   |
 * | `GET /datasets/generic/new/<extension>`       | datasets/generic/new.html                  | New <extension title> Dataset       |
 * | `GET /models/images/classification/new`       | models/images/classification/new.html      | New Image Classification Model      |
 * | `GET /models/images/generic/new[/<extension>]`| models/images/generic/new.html             | New <extension title or Image> Model|
 * | `GET /datasets/<id>`, `GET /models/<id>`      | job.html (`job.name()`)                    | <job name>                          |
 * | `GET /datasets/…/explore`                     | datasets/images/[classification/]explore   | <job name> - Explorer               |
 * | `GET /models/images/…/large_graph`            | models/images/…/large_graph.html           | <job name> - Large graph            |
 * | inference result pages                        | job.html of the inference job              | INFERENCE_TITLES below              |
 */
import type { FastifyRequest } from 'fastify';

/** Titles that do not depend on a job. */
export const PAGE_TITLES = {
  home: 'DIGITS',
  login: 'DIGITS',
  newClassificationDataset: 'New Image Classification Dataset',
  /** The prebuilt-LMDB dataset form. */
  newImageDataset: 'New Image Dataset',
  newClassificationModel: 'New Image Classification Model',
  newPretrainedModel: 'Upload Pretrained Model',
} as const;

/** `GET /datasets/generic/new/<extension>`. */
export const newExtensionDatasetTitle = (extensionTitle: string): string => `New ${extensionTitle} Dataset`;

/** `GET /models/images/generic/new[/<extension>]`. */
export const newGenericModelTitle = (extensionTitle: string | null): string => `New ${extensionTitle ?? 'Image'} Model`;

/** The dataset explorer, both kinds. */
export const exploreTitle = (jobName: string): string => `${jobName} - Explorer`;

/** `large_graph`, both kinds. */
export const largeGraphTitle = (jobName: string): string => `${jobName} - Large graph`;

/**
 * The inference pages extend job.html with the temporary inference job, so their title is the
 * name DIGITS' route gives that job (infer_db's is "Infer Many Images" there too).
 */
export const INFERENCE_TITLES: Readonly<Record<string, string>> = {
  '/models/images/classification/classify_one': 'Classify One Image',
  '/models/images/classification/classify_many': 'Classify Many Images',
  '/models/images/classification/top_n': 'TopN Image Classification',
  '/models/images/generic/infer_one': 'Infer One Image',
  '/models/images/generic/infer_many': 'Infer Many Images',
  '/models/images/generic/infer_db': 'Infer Many Images',
  '/models/images/generic/infer_extension': 'Inference',
};

/** The title of the inference page `request`'s route answers (`.json` spellings share it). */
export function inferenceTitle(request: FastifyRequest): string {
  const route = (request.routeOptions.url ?? '').replace(/\.json$/, '');
  return INFERENCE_TITLES[route] ?? 'Inference';
}
