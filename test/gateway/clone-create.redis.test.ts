// `clone=<job_id>` on the create POSTs (contract §1.5) on real Redis, without a worker: the routes
// that honour it and the one that ignores it, saved > submitted > default field by field,
// validation run again on the copied values, parse errors of submitted values still reported,
// uploads sent again, and the refusals (unknown id, empty clone, a job without a saved form).
import path from 'node:path';
import t from 'tap';
import { JOB_TYPES, newJobRecord, type DatasetBuildOptions, type JobRecord, type TrainModelOptions } from '@digits-ts/contracts';
import { writeMnistPngs } from '../../scripts/mnist.ts';
import { createDataset } from '../helpers/datasets.ts';
import { login, multipart, startStack, type Stack } from '../helpers/stack.ts';

const NETWORK = { framework: 'tensorflow', method: 'standard', standard_networks: 'lenet' };
const UNKNOWN = '20200101-000000-dead';

/** POSTs `fields` as multipart (as `curl -F`) to `url` with the session cookie. */
async function post(stack: Stack, cookie: string, url: string, fields: Record<string, string>, files: Parameters<typeof multipart>[1] = {}) {
  const body = multipart(fields, files);
  return stack.app.inject({ method: 'POST', url, payload: body.payload, headers: { ...body.headers, cookie } });
}

/** A job record written straight to the store, with the saved form an older build (or a hand) left. */
async function legacyJob(stack: Stack, kind: 'dataset' | 'model', form: Record<string, unknown>): Promise<string> {
  const id = await stack.app.services.store.reserveId();
  const record = kind === 'dataset'
    ? newJobRecord({ id, job: 'build-dataset', type: JOB_TYPES.imageClassificationDataset, name: 'legacy', group: '', username: 'alice', form, params: {}, created: Date.now() / 1000 })
    : newJobRecord({ id, job: 'train-model', type: JOB_TYPES.imageClassificationModel, name: 'legacy', group: '', username: 'alice', form, params: {}, created: Date.now() / 1000 });
  await stack.app.services.store.create({ ...record, status: 'D' });
  return id;
}

const recordOf = async (stack: Stack, res: { json(): unknown }): Promise<JobRecord> => (await stack.app.services.store.get((res.json() as { id: string }).id))!;

t.test('clone on the create POSTs', async (t) => {
  const stack = await startStack(t, { worker: false });
  const cookie = await login(stack.app, 'alice');
  const train = path.join(stack.dataDir, 'mnist', 'train');
  await writeMnistPngs(path.dirname(train), { splits: ['train'], perClass: 3 });
  const source = await createDataset(stack.app, cookie, {
    dataset_name: 'source', group_name: 'digits', folder_train: train, resize_channels: '1', resize_width: '28', resize_height: '28', resize_mode: 'crop', folder_pct_val: '10', encoding: 'jpg',
  });
  t.equal(source.statusCode, 200, source.body);
  const sourceRecord = await recordOf(stack, source);
  const sourceId = sourceRecord.id;
  const jobCount = async () => (await stack.app.services.store.list()).length;

  await t.test('a dataset clone is the source: name, group and every setting, whatever was submitted', async (t) => {
    const submitted = { dataset_name: 'other', group_name: 'elsewhere', folder_train: train, resize_width: '64', folder_pct_val: '50', resize_mode: 'squash' };
    for (const [how, url, fields] of [
      ['query argument', `/datasets/images/classification.json?clone=${sourceId}`, submitted],
      ['form field', '/datasets/images/classification.json', { ...submitted, clone: sourceId }],
      ['query before form', `/datasets/images/classification.json?clone=${sourceId}`, { ...submitted, clone: UNKNOWN }],
    ] as const) {
      const res = await post(stack, cookie, url, fields);
      t.equal(res.statusCode, 200, `${how}: ${res.body}`);
      t.match(res.json(), { name: 'source', status: 'Initialized' }, how);
      const clone = await recordOf(stack, res);
      t.not(clone.id, sourceId);
      t.equal(clone.group, 'digits', `${how}: the source's group`);
      t.same(clone.params, sourceRecord.params, `${how}: the source's build options`);
      t.same(clone.form, sourceRecord.form, `${how}: the same saved form, so a clone of the clone is the source again`);
    }
    const html = await stack.app.inject({ method: 'POST', url: `/datasets/images/classification?clone=${sourceId}`, payload: 'dataset_name=x', headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' } });
    t.equal(html.statusCode, 302, 'the HTML flavour redirects to the new dataset');
    t.match(html.headers.location, /^\/datasets\/\d{8}-\d{6}-[0-9a-f]{4}$/);
  });

  await t.test('field by field: the saved value, else the submitted one, else the default', async (t) => {
    const legacy = await legacyJob(stack, 'dataset', {
      'form.dataset_name.data': 'saved-name', 'form.folder_train.data': train, 'form.resize_width.data': 28,
      'form.has_val_folder.data': false, 'form.folder_train_max_per_class.data': null, 'not-a-form-key': 'x',
    });
    const res = await post(stack, cookie, `/datasets/images/classification.json?clone=${legacy}`, {
      dataset_name: 'submitted', resize_width: '64', resize_height: '30', resize_channels: '1', folder_train_max_per_class: '5',
      // replaced by the saved false, so the missing val folder is never looked for
      has_val_folder: 'y', folder_val: '/nowhere',
    });
    t.equal(res.statusCode, 200, res.body);
    const clone = await recordOf(stack, res);
    t.equal(clone.name, 'saved-name', 'saved beats submitted');
    const options = clone.params as DatasetBuildOptions;
    t.match(options, { width: 28, height: 30, channels: 1, resizeMode: 'squash' }, 'width saved, height and channels submitted, resize mode the default');
    t.match(options.folder, { train: { folder: train, maxPerClass: null }, val: null }, 'a saved false and a saved null replace what was sent');
  });

  await t.test('the copied values are validated again; parse errors of submitted values still count', async (t) => {
    const model = await post(stack, cookie, '/models/images/classification.json', { model_name: 'lenet', dataset: sourceId, ...NETWORK, train_epochs: '1', learning_rate: '0.02', batch_size: '16' });
    t.equal(model.statusCode, 200, model.body);
    const modelRecord = await recordOf(stack, model);
    const before = await jobCount();

    const copy = await post(stack, cookie, `/models/images/classification.json?clone=${modelRecord.id}`, { model_name: 'ignored', train_epochs: '0' });
    t.equal(copy.statusCode, 200, `a submitted value out of range is replaced, not reported: ${copy.body}`);
    t.match(copy.json(), { name: 'lenet', dataset_id: sourceId });
    t.same((await recordOf(stack, copy)).params, modelRecord.params, 'the clone trains as the source');

    const parseErrors = await post(stack, cookie, `/models/images/classification.json?clone=${modelRecord.id}`, { train_epochs: 'abc', learning_rate: '0.1,x' });
    t.equal(parseErrors.statusCode, 400);
    t.same(parseErrors.json(), { errors: { train_epochs: ['Not a valid integer value'], learning_rate: ['Not a valid float value'] }, code: 'VALIDATION_FAILED' });

    // a dataset's saved form in a model create: group_name and method copy, and method=folder is no model method
    const crossKind = await post(stack, cookie, `/models/images/classification.json?clone=${sourceId}`, { model_name: 'm', dataset: sourceId, ...NETWORK });
    t.equal(crossKind.statusCode, 400);
    t.same(crossKind.json(), { errors: { method: ['Not a valid choice'] }, code: 'VALIDATION_FAILED' });

    const gone = await legacyJob(stack, 'model', { 'form.model_name.data': 'orphan', 'form.dataset.data': UNKNOWN, 'form.framework.data': 'tensorflow', 'form.method.data': 'standard', 'form.standard_networks.data': 'lenet' });
    const orphan = await post(stack, cookie, `/models/images/classification.json?clone=${gone}`, { dataset: sourceId });
    t.equal(orphan.statusCode, 400, 'a saved dataset that no longer exists is checked again');
    t.same(orphan.json(), { errors: { dataset: ['Not a valid choice'] }, code: 'VALIDATION_FAILED' });
    t.equal(await jobCount(), before + 2, 'only the clone that passed made a job (and the hand-written source)');
  });

  await t.test('a sweep saves each job\'s own learning rate and batch size: its clone is that one job', async (t) => {
    const sweep = await post(stack, cookie, '/models/images/classification.json', { model_name: 'sweep', dataset: sourceId, ...NETWORK, learning_rate: '0.01,0.02', batch_size: '8' });
    t.equal(sweep.statusCode, 200, sweep.body);
    const second = (sweep.json() as { jobs: { id: string }[] }).jobs[1]!.id;
    const copy = await post(stack, cookie, `/models/images/classification.json?clone=${second}`, {});
    t.equal(copy.statusCode, 200, copy.body);
    t.match((await recordOf(stack, copy)).params as TrainModelOptions, { learningRate: 0.02, batchSize: 8 });
  });

  await t.test('uploads are never saved: a clone of an upload-fed dataset needs them again', async (t) => {
    const lists = { textfile_train_images: { filename: 'train.txt', data: `${path.join(train, '0', '0.png')} 0\n` }, textfile_labels_file: { filename: 'labels.txt', data: 'zero\n' } };
    const uploaded = await createDataset(stack.app, cookie, { dataset_name: 'lists', method: 'textfile', resize_width: '28', resize_height: '28' }, lists);
    t.equal(uploaded.statusCode, 200, uploaded.body);
    const id = (uploaded.json() as { id: string }).id;
    const without = await post(stack, cookie, `/datasets/images/classification.json?clone=${id}`, {});
    t.equal(without.statusCode, 400);
    t.same(without.json(), { errors: { textfile_train_images: ['This field is required.'], textfile_labels_file: ['This field is required.'] }, code: 'VALIDATION_FAILED' });
    const again = await post(stack, cookie, `/datasets/images/classification.json?clone=${id}`, {}, lists);
    t.equal(again.statusCode, 200, again.body);
    t.match(again.json(), { name: 'lists' });
  });

  await t.test('an unknown id, an empty clone and a job without a saved form are refused on every route that honours clone', async (t) => {
    const bare = await legacyJob(stack, 'dataset', {});
    const before = await jobCount();
    const routes = ['/datasets/images/classification.json', '/datasets/images/generic.json', '/models/images/classification.json', '/models/images/generic.json', '/models/images/genericimage-gradients.json', '/models/images/generic/image-gradients.json'];
    for (const url of routes) {
      const unknown = await post(stack, cookie, `${url}?clone=${UNKNOWN}`, { dataset_name: 'x', model_name: 'x' });
      t.equal(unknown.statusCode, 404, url);
      t.match(unknown.json(), { error: { message: '404: Not Found', type: 'NotFound', description: 'Job not found', code: 'JOB_NOT_FOUND' } }, url);
      const empty = await post(stack, cookie, url, { clone: '', dataset_name: 'x', model_name: 'x' });
      t.equal(empty.statusCode, 400, url);
      t.match(empty.json(), { error: { type: 'BadRequest', description: 'clone must name a job', code: 'BAD_REQUEST' } }, url);
      const noForm = await post(stack, cookie, `${url}?clone=${bare}`, {});
      t.equal(noForm.statusCode, 400, url);
      t.match(noForm.json(), { error: { type: 'BadRequest', description: /^Invalid job type: job \S+ has no saved form to clone$/, code: 'INVALID_JOB_TYPE' } }, url);
    }
    t.equal(await jobCount(), before, 'no job was made');
    // the "new" pages take the same piece: the same answers
    for (const [query, status] of [[`clone=${UNKNOWN}`, 404], ['clone=', 400], [`clone=${bare}`, 400]] as const) {
      const page = await stack.app.inject({ url: `/models/images/classification/new?${query}`, headers: { cookie } });
      t.equal(page.statusCode, status, `new page with ${query}`);
    }
    const prefilled = await stack.app.inject({ url: `/datasets/images/classification/new?clone=${sourceId}`, headers: { cookie } });
    t.match(prefilled.body, /name="dataset_name"[^>]*value="source"/, 'the page shows the saved name');
  });

  await t.test('the data-extension create route ignores clone, as DIGITS does', async (t) => {
    const fields = { dataset_name: 'grad', train_image_count: '8', val_image_count: '2', image_width: '8', image_height: '8' };
    for (const clone of [sourceId, UNKNOWN, '']) {
      const res = await post(stack, cookie, `/datasets/generic/create/image-gradients.json?clone=${clone}`, { ...fields, clone });
      t.equal(res.statusCode, 200, `clone=${clone}: ${res.body}`);
      const record = await recordOf(stack, res);
      t.equal(record.name, 'grad', 'the submitted name');
      t.equal(record.form['form.dataset_name.data'], 'grad');
    }
  });
});
