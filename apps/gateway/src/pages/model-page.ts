/**
 * What the model pages show (contract §4.3): the "new" model forms with the datasets and models
 * to pick, and the model page with its training graph data, learning-rate curve and inference forms.
 */
import type { FastifyReply } from 'fastify';
import { JOB_TYPES, learningRateCurve, type GenericDatasetOptions, type JobRecord, type TrainModelOptions } from '@digits-ts/contracts';
import { DATA_EXTENSIONS, type FormSpec, type ModelTask } from '../forms/index.ts';
import { modelDetail, modelTraining } from '../job-json.ts';
import type { Services } from '../services.ts';
import { modelInitialValues, modelLayout } from './form-layouts.ts';
import type { FormPage } from './form-pages.ts';
import { formSections, type FormLayout } from './form-view.ts';
import { jobRow } from './job-rows.ts';
import { newGenericModelTitle, PAGE_TITLES } from './titles.ts';
import { DEFAULT_VIEW, VIEW_EXTENSIONS } from '../forms/view-extensions.ts';

const DATASET_TYPES: Record<ModelTask, string[]> = {
  classification: [JOB_TYPES.imageClassificationDataset],
  generic: [JOB_TYPES.genericDataset, JOB_TYPES.genericImageDataset],
};
export const MODEL_TYPE: Record<ModelTask, string> = { classification: JOB_TYPES.imageClassificationModel, generic: JOB_TYPES.genericImageModel };

const taskOf = (record: JobRecord): ModelTask => (record.type === JOB_TYPES.genericImageModel ? 'generic' : 'classification');

/** The new-model page of a task: datasets to pick (not failed ones), models to fine-tune. */
export async function modelFormPage(services: Services, task: ModelTask, extension: string | null, initial: Record<string, string> = {}): Promise<FormPage> {
  const records = await services.store.list();
  const usable = (r: JobRecord) => r.status !== 'E' && r.status !== 'A';
  const datasets = records.filter((r) => r.kind === 'dataset' && DATASET_TYPES[task].includes(r.type) && usable(r)
    && (extension === null || (r.params as Partial<GenericDatasetOptions> | null)?.extension === extension));
  const previous = records.filter((r) => r.kind === 'model' && r.type === MODEL_TYPE[task] && (r.model?.snapshots.length ?? 0) > 0);
  const pretrained = records.filter((r) => r.kind === 'pretrained' && r.status === 'D');
  const layout = modelLayout({
    pretrainedModels: pretrained.map((r) => ({ value: r.id, label: `${r.name} (${r.id})` })),
    standard: task === 'classification',
    datasets: datasets.map((r) => ({ value: r.id, label: `${r.name} (${r.status === 'D' ? 'done' : 'running'}, ${r.id})` })),
    previousModels: previous.map((r) => ({ value: r.id, label: `${r.name} (${r.id})` })),
  });
  const title = task === 'classification' ? PAGE_TITLES.newClassificationModel : newGenericModelTitle(extension ? (DATA_EXTENSIONS[extension]?.title ?? extension) : null);
  const action = task === 'classification' ? '/models/images/classification' : extension ? `/models/images/generic/${extension}` : '/models/images/generic';
  return {
    title, action, layout, initial: { ...modelInitialValues(task === 'classification'), ...initial },
    intro: task === 'classification'
      ? 'Trains a classifier on TensorFlow.js. LeNet suits 28×28 grayscale images such as MNIST; AlexNet and GoogLeNet expect 256×256 colour images.'
      : 'Trains a network of your own (TF.js layers JSON or Caffe prototxt) on a generic dataset; a network that does not end in softmax is a regression.',
  };
}

/** The inference forms a model page offers, each posting the API's own fields. */
function inferenceForms(record: JobRecord, task: ModelTask, dataset: JobRecord | null) {
  const snapshots = (record.model?.snapshots ?? []).map((s) => s.epoch).reverse();
  const epochChoices = snapshots.map((e, i) => ({ value: String(e), label: `Epoch ${e}${i === 0 ? ' (newest)' : ''}` }));
  // generic forms pick a view (§10.6): every installed one, sorted by id; its config fields load into the form (inference-views.js)
  const views = Object.values(VIEW_EXTENSIONS).sort((a, b) => a.id.localeCompare(b.id));
  const view: FormSpec = task === 'generic' ? { view_extension_id: { kind: 'select', choices: views.map((v) => v.id), default: DEFAULT_VIEW } } : {};
  const viewOverride = { control: 'select' as const, choices: views.map((v) => ({ value: v.id, label: v.title })), label: 'Visualization', help: 'How the result page shows the outputs; the chosen view\'s options appear below.' };
  const form = (id: string, title: string, action: string, fields: FormSpec, uploads: string[], button: string) => {
    const spec = { ...fields, ...view };
    const layout: FormLayout = { spec: { snapshot_epoch: { kind: 'string' }, ...spec }, uploads, sections: [{ legend: title, fields: ['snapshot_epoch', ...uploads, ...Object.keys(spec)] }], overrides: { snapshot_epoch: { control: 'select', choices: epochChoices }, view_extension_id: viewOverride } };
    return { id, title, action, button, fields: formSections(layout, { initial: { snapshot_epoch: epochChoices[0]?.value ?? '' } })[0]!.fields };
  };
  if (task === 'classification') {
    return [
      form('classify-one', 'Test a single image', '/models/images/classification/classify_one', { image_path: { kind: 'string' } }, ['image_file'], 'Classify one'),
      form('classify-many', 'Test a list of images', '/models/images/classification/classify_many', { image_folder: { kind: 'string' }, num_test_images: { kind: 'int', optional: true, min: 1 } }, ['image_list'], 'Classify many'),
      form('top-n', 'Top N predictions per category', '/models/images/classification/top_n', { image_folder: { kind: 'string' }, top_n: { kind: 'int', default: 9, min: 1 }, num_test_images: { kind: 'int', optional: true, min: 1 } }, ['image_list'], 'Show top images'),
    ];
  }
  const extensionId = (dataset?.params as Partial<GenericDatasetOptions> | null)?.extension;
  const extension = extensionId ? DATA_EXTENSIONS[extensionId] : undefined;
  return [
    form('infer-one', 'Test a single image', '/models/images/generic/infer_one', { image_path: { kind: 'string' }, dont_resize: { kind: 'bool' } }, ['image_file'], 'Infer one'),
    form('infer-many', 'Test a list of images', '/models/images/generic/infer_many', { image_folder: { kind: 'string' }, num_test_images: { kind: 'int', optional: true, min: 1 }, dont_resize: { kind: 'bool' } }, ['image_list'], 'Infer many'),
    form('infer-db', 'Test a database', '/models/images/generic/infer_db', { db_path: { kind: 'string' }, dont_resize: { kind: 'bool' } }, [], 'Infer DB'),
    ...(extension?.inferenceForm ? [form('infer-extension', `Test generated ${extension.title.toLowerCase()}`, '/models/images/generic/infer_extension', extension.inferenceForm, [], 'Infer')] : []),
  ];
}

/** The graph's data: every train and val series by epoch, and the planned learning-rate schedule. */
function chartData(record: JobRecord) {
  const options = record.params as TrainModelOptions;
  const planned = learningRateCurve(options.learningRate, options.lrPolicy).map((lr, p) => [(options.trainEpochs * p) / 100, lr]);
  return { train: record.model?.trainOutputs ?? {}, val: record.model?.valOutputs ?? {}, planned, epochs: options.trainEpochs };
}

export async function modelView(services: Services, record: JobRecord) {
  const dataset = record.datasetId ? await services.store.get(record.datasetId) : null;
  const task = taskOf(record);
  const options = record.params as TrainModelOptions;
  const network = options.network.method === 'standard' ? options.network.name : options.network.method === 'previous' ? `fine-tuned from ${options.network.jobId}` : options.network.method === 'pretrained' ? `fine-tuned from pretrained ${options.network.jobId}` : 'custom';
  return {
    record, dataset, task, options, network,
    row: jobRow(record, dataset),
    detail: modelDetail(record, dataset, services.config.jobsDir),
    training: modelTraining(record),
    chart: chartData(record),
    largeGraphUrl: `/models/images/${task}/large_graph?job_id=${record.id}`,
  };
}

export async function sendModelPage(services: Services, reply: FastifyReply, record: JobRecord): Promise<FastifyReply> {
  const view = await modelView(services, record);
  // only the model page offers the inference forms (large_graph shows the graph alone)
  const forms = (record.model?.snapshots.length ?? 0) > 0 ? inferenceForms(record, view.task, view.dataset) : [];
  const scripts = ['/static/vendor/uplot/uPlot.iife.min.js', '/static/js/jobs.js', '/static/js/model.js', ...(view.task === 'generic' ? ['/static/js/inference-views.js'] : [])];
  return reply.page('model', { title: record.name, scripts, ...view, forms });
}
