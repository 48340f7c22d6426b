// GET /completed_jobs.json and GET /jobs/<id>/table_data.json over HTTP (contract §5.2, §5.5):
// the table-dict keys by kind, running datasets then running models, finished jobs in their own
// lists (newest first), a trained model's output keys and sparkline, table_data equal to the
// listing's entry, the listing following a change, a running job's elapsed, 404 for unknown ids.
import path from 'node:path';
import t from 'tap';
import type { Outputs } from '@digits-ts/contracts';
import { importSharedLenet } from '../helpers/shared-lenet.ts';
import { login, multipart, startStack, type Stack } from '../helpers/stack.ts';

type Dict = Record<string, unknown> & { id: string };
interface Completed { running: Dict[]; datasets: Dict[]; models: Dict[]; pretrained_models: Dict[]; model_output_fields: string[] }

/** A tiny regression network for the generic model (Keras layers JSON). */
const REGRESSION = JSON.stringify({ class_name: 'Sequential', config: { layers: [{ class_name: 'Flatten', config: { batch_input_shape: [null, 8, 8, 1] } }, { class_name: 'Dense', config: { units: 2, activation: 'linear' } }] } });
const BASE_KEYS = ['id', 'name', 'group', 'status', 'status_css', 'submitted', 'elapsed', 'progress', 'type'];

async function create(stack: Stack, cookie: string, url: string, fields: Record<string, string>): Promise<string> {
  const body = multipart(fields);
  const res = await stack.app.inject({ method: 'POST', url, payload: body.payload, headers: { ...body.headers, cookie } });
  if (res.statusCode !== 200) throw new Error(`${url}: ${res.statusCode} ${res.body}`);
  return (res.json() as { id: string }).id;
}

/** What DIGITS reports of one phase's series: last, min (a gap is the min) and max. */
function expectedOutputKeys(outputs: Outputs, phase: string): Record<string, number | null> {
  const keys: Record<string, number | null> = {};
  for (const [name, series] of Object.entries(outputs)) {
    const values = series.values;
    if (values.length === 0) continue;
    const numbers = values.filter((v): v is number => v !== null);
    keys[`${name} (${phase}) last`] = values.at(-1)!;
    keys[`${name} (${phase}) min`] = values.includes(null) ? null : Math.min(...numbers);
    keys[`${name} (${phase}) max`] = Math.max(...numbers);
  }
  return keys;
}

t.test('completed_jobs.json and table_data.json', async (t) => {
  const stack = await startStack(t, { worker: false });
  // a finished dataset and a trained model, then queued jobs (no worker: they stay running)
  const shared = await importSharedLenet(stack);
  const cookie = await login(stack.app, 'alice');
  const folder = { folder_train: path.join(shared.mnistDir, 'train'), resize_channels: '1', resize_width: '28', resize_height: '28' };
  const aborted = await create(stack, cookie, '/datasets/images/classification.json', { dataset_name: 'stopped', ...folder });
  const abort = await stack.app.inject({ method: 'POST', url: `/datasets/${aborted}/abort`, headers: { cookie } });
  t.equal(abort.statusCode, 200, abort.body);
  const queued = await create(stack, cookie, '/datasets/images/classification.json', { dataset_name: 'queued', ...folder });
  const gradients = await create(stack, cookie, '/datasets/generic/create/image-gradients.json', { dataset_name: 'grad', train_image_count: '10', image_width: '8', image_height: '8' });
  const network = { framework: 'tensorflow', method: 'standard', standard_networks: 'lenet' };
  const waiting = await create(stack, cookie, '/models/images/classification.json', { model_name: 'waits', dataset: queued, ...network });
  const gradModel = await create(stack, cookie, '/models/images/generic.json', { model_name: 'grad-model', dataset: gradients, framework: 'tensorflow', method: 'custom', custom_network: REGRESSION });

  const base = await stack.app.listen({ port: 0, host: '127.0.0.1' });
  const get = (url: string) => fetch(`${base}${url}`);
  const completed = async (): Promise<Completed> => {
    const res = await get('/completed_jobs.json');
    t.equal(res.status, 200);
    t.match(res.headers.get('content-type'), /^application\/json/);
    return (await res.json()) as Completed;
  };
  const listing = await completed();
  t.same(Object.keys(listing), ['running', 'datasets', 'models', 'pretrained_models', 'model_output_fields']);
  const ids = (list: Dict[]) => list.map((d) => d.id);
  t.same(ids(listing.running), [gradients, queued, gradModel, waiting], 'running datasets, then running models, newest first');
  t.same(ids(listing.datasets), [aborted, shared.datasetId], 'finished datasets, newest first');
  t.same(ids(listing.models), [shared.modelId]);
  t.same(listing.pretrained_models, []);
  const entry = (id: string) => [...listing.running, ...listing.datasets, ...listing.models].find((d) => d.id === id)!;

  t.same(Object.keys(entry(queued)), [...BASE_KEYS, 'backend']);
  t.match(entry(queued), { name: 'queued', group: '', status: 'Initialized', status_css: 'warning', elapsed: 0, progress: 0, type: 'dataset', backend: 'lmdb' });
  t.same(Object.keys(entry(gradients)), [...BASE_KEYS, 'extension']);
  t.match(entry(gradients), { status: 'Initialized', type: 'dataset', extension: 'image-gradients' });
  t.same(Object.keys(entry(waiting)), [...BASE_KEYS, 'dataset_id', 'framework'], 'a model not trained yet has no output keys');
  t.match(entry(waiting), { status: 'Waiting', status_css: 'warning', type: 'model', dataset_id: queued, framework: 'tensorflow', elapsed: 0 });
  t.match(entry(gradModel), { status: 'Waiting', dataset_id: gradients, extension: 'image-gradients' }, 'a model takes its dataset\'s extension');
  t.match(entry(aborted), { status: 'Aborted', status_css: 'warning', elapsed: 0, progress: 0 }, 'aborted before it ran');

  // the finished pair: elapsed is from the first Running to the stop, progress 100
  for (const id of [shared.datasetId, shared.modelId]) {
    const record = (await stack.app.services.store.get(id))!;
    const started = record.statusHistory.find(([s]) => s === 'R')![1];
    const done = record.statusHistory.find(([s]) => s === 'D')![1];
    t.match(entry(id), { status: 'Done', status_css: 'success', progress: 100, submitted: record.statusHistory[0]![1] });
    t.equal(entry(id).elapsed, done - started, `${id}: elapsed from Running to Done`);
  }

  // the trained model: every series of each phase as last/min/max, and its sparkline
  const model = (await (await get(`/models/${shared.modelId}/training.json`)).json()) as { train_outputs: Outputs; val_outputs: Outputs };
  const outputs = { ...expectedOutputKeys(model.train_outputs, 'train'), ...expectedOutputKeys(model.val_outputs, 'val') };
  for (const key of ['loss (train) last', 'epoch (train) max', 'learning_rate (train) min', 'accuracy (val) max', 'loss (val) min']) t.ok(key in outputs, `the model reports ${key}`);
  const trained = entry(shared.modelId);
  t.same(Object.keys(trained), [...BASE_KEYS, 'dataset_id', 'framework', ...Object.keys(outputs), 'sparkline']);
  t.match(trained, { dataset_id: shared.datasetId, framework: 'tensorflow', ...outputs });
  t.same(listing.model_output_fields, Object.keys(outputs).sort(), 'model_output_fields: the sorted union of the output keys');
  const firstTrain = Object.keys(model.train_outputs).find((k) => k !== 'epoch' && k !== 'learning_rate')!;
  const stride = Math.max(1, Math.floor(model.train_outputs.epoch!.values.length / 100));
  t.same(trained.sparkline, model.train_outputs[firstTrain]!.values.filter((_, i) => i % stride === 0), `sparkline: the ${firstTrain} series`);

  // table_data: exactly the listing's entry (no job is Running, so no elapsed moves)
  for (const id of [gradients, queued, gradModel, waiting, aborted, shared.datasetId, shared.modelId]) {
    const res = await get(`/jobs/${id}/table_data.json?ignored=1`);
    t.equal(res.status, 200);
    t.match(res.headers.get('content-type'), /^application\/json/);
    t.same(await res.json(), { job: entry(id) }, `table_data of ${id}`);
  }
  for (const id of ['20000101-000000-abcd', 'nope']) {
    const res = await get(`/jobs/${id}/table_data.json`);
    t.equal(res.status, 404);
    t.match(await res.json(), { error: { message: '404: Not Found', type: 'NotFound', description: 'Job not found' } }, `unknown id ${id}`);
  }

  // the listing follows changes: a rename, and a job that starts running (the store call a worker makes)
  const renamed = await stack.app.inject({ method: 'PUT', url: `/jobs/${waiting}`, payload: 'job_name=renamed', headers: { 'content-type': 'application/x-www-form-urlencoded', cookie } });
  t.equal(renamed.statusCode, 200, renamed.body);
  await stack.app.services.store.setStatus(queued, 'R');
  const startedAt = (await stack.app.services.store.get(queued))!.statusHistory.find(([s]) => s === 'R')![1];
  const before = Date.now() / 1000;
  const after = await completed();
  const until = Date.now() / 1000;
  t.equal(after.running.find((d) => d.id === waiting)?.name, 'renamed');
  const live = after.running.find((d) => d.id === queued)!;
  t.match(live, { status: 'Running', status_css: 'info' });
  t.ok((live.elapsed as number) >= before - startedAt && (live.elapsed as number) <= until - startedAt, 'a running job\'s elapsed runs to now');
});
