// The model routes on real Redis (contract §4.3, §5.4, §8): create (login, form errors, references,
// sweeps, Waiting on an unbuilt dataset, HTML redirects), show, and POST /models/visualize-lr.
import path from 'node:path';
import t from 'tap';
import { JOBS, queueJobIdOf } from '@digits-ts/contracts';
import { loadWorkerConfig } from '@digits-ts/config';
import { createLogger } from '@digits-ts/logger';
import { startWorker } from '../../apps/worker/src/worker.ts';
import { writeMnistPngs } from '../../scripts/mnist.ts';
import { createDataset } from '../helpers/datasets.ts';
import { login, multipart, startStack, waitForStatus, type Stack } from '../helpers/stack.ts';

type Json = Record<string, unknown>;
/** A subtest's `t`. */
type Test = Parameters<Parameters<typeof t.test>[0]>[0];

const NETWORK = { framework: 'tensorflow', method: 'standard', standard_networks: 'lenet' };
const STALE_JOB = "Selected job doesn't exist. Maybe it was deleted by another user.";

/** POSTs the model form as multipart (as `curl -F`); `.json` unless `html`. */
async function createModel(stack: Stack, cookie: string | null, fields: Record<string, string>, html = false) {
  const body = multipart(fields);
  return stack.app.inject({
    method: 'POST', url: html ? '/models/images/classification' : '/models/images/classification.json',
    payload: body.payload, headers: { ...body.headers, ...(cookie ? { cookie } : {}) },
  });
}

/** Creates (queues) a dataset of MNIST PNGs, 3 per class, under the stack's data root; returns its id. */
async function mnistDataset(t: Test, stack: Stack, cookie: string): Promise<string> {
  const dir = path.join(stack.dataDir, 'mnist');
  await writeMnistPngs(dir, { splits: ['train'], perClass: 3 });
  const res = await createDataset(stack.app, cookie, { dataset_name: 'mnist', folder_train: path.join(dir, 'train'), resize_channels: '1', resize_width: '28', resize_height: '28' });
  t.equal(res.statusCode, 200, res.body);
  return (res.json() as { id: string }).id;
}

/** Whether the model's training entry is in the train queue. */
function isQueued(stack: Stack, modelId: string): Promise<boolean> {
  return stack.app.services.producer.isQueued({ queue: JOBS['train-model'].queue, id: queueJobIdOf('train-model', modelId) });
}

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const modelCount = async (stack: Stack) => ((await stack.app.inject('/index.json')).json() as { models: unknown[] }).models.length;

t.test('creating a model needs a login: 401 with the error envelope', async (t) => {
  const stack = await startStack(t, { worker: false });
  for (const html of [false, true]) {
    const res = await createModel(stack, null, { model_name: 'm', dataset: 'x', ...NETWORK }, html);
    t.equal(res.statusCode, 401, html ? 'HTML' : 'JSON');
    if (!html) t.match(res.json(), { error: { message: '401: Unauthorized', type: 'Unauthorized', description: /logged in/, code: 'LOGIN_REQUIRED' } });
  }
  const invalid = await createModel(stack, null, { username: 'Bob', model_name: 'm', dataset: 'x', ...NETWORK });
  t.equal(invalid.statusCode, 400);
  t.match(invalid.json(), { error: { message: '400: Bad Request', description: 'Invalid username - Must start with a lowercase letter' } });
  t.equal(await modelCount(stack), 0, 'no job was created');
});

t.test('form errors: 400 with WTForms-shaped errors and VALIDATION_FAILED', async (t) => {
  const stack = await startStack(t, { worker: false });
  const alice = await login(stack.app, 'alice');
  const cases: Array<[Record<string, string>, Record<string, string[]>]> = [
    [{}, { model_name: ['This field is required.'], dataset: ['This field is required.'], framework: ['The framework you choose is not currently supported.'], standard_networks: ['This field is required.'] }],
    [{ model_name: 'm', dataset: 'd', ...NETWORK, framework: 'keras' }, { framework: ['The framework you choose is not currently supported.'] }],
    [{ model_name: 'm', dataset: 'd', ...NETWORK, standard_networks: 'vgg' }, { standard_networks: ['Not a valid choice'] }],
    [{ model_name: 'm', dataset: 'd', ...NETWORK, train_epochs: '0' }, { train_epochs: ['Number must be at least 1.'] }],
    [{ model_name: 'm', dataset: 'd', ...NETWORK, learning_rate: '0.01,x' }, { learning_rate: ['Not a valid float value'] }],
    [{ model_name: 'm', dataset: 'd', ...NETWORK, lr_policy: 'multistep' }, { lr_multistep_values: ['invalid value'] }],
    [{ model_name: 'm', dataset: 'd', ...NETWORK, solver_type: 'LBFGS' }, { solver_type: ['Not a valid choice'] }],
    // the references are checked once the form itself is valid
    [{ model_name: 'm', dataset: '20200101-000000-0000', ...NETWORK }, { dataset: ['Not a valid choice'] }],
    [{ model_name: 'm', dataset: 'no such id', ...NETWORK }, { dataset: ['Not a valid choice'] }],
    [{ model_name: 'm', dataset: '20200101-000000-0000', framework: 'tensorflow', method: 'previous', previous_networks: '20200101-000000-0001', '20200101-000000-0001-snapshot': '0' },
      { dataset: ['Not a valid choice'], previous_networks: [STALE_JOB] }],
  ];
  for (const [fields, errors] of cases) {
    const res = await createModel(stack, alice, fields);
    t.equal(res.statusCode, 400, JSON.stringify(fields));
    t.same(res.json(), { errors, code: 'VALIDATION_FAILED' });
  }
  const html = await createModel(stack, alice, { model_name: 'm', dataset: 'x', ...NETWORK }, true);
  t.equal(html.statusCode, 400, 'HTML form errors are a 400 page');
  t.match(html.headers['content-type'], /^text\/html/);
  t.match(html.body, 'Not a valid choice');
  t.equal(await modelCount(stack), 0, 'no job was created');
});

t.test('a model on a dataset that is not built yet waits, then is queued when the build ends', async (t) => {
  const stack = await startStack(t, { worker: false });
  const alice = await login(stack.app, 'alice');
  const datasetId = await mnistDataset(t, stack, alice);
  t.equal((await stack.app.inject(`/datasets/${datasetId}.json`)).json().status, 'Initialized', 'the build is queued, no worker runs it');

  const res = await createModel(stack, alice, { model_name: 'early', dataset: datasetId, ...NETWORK });
  t.equal(res.statusCode, 200, res.body);
  const created = res.json() as Json;
  t.match(created, { name: 'early', status: 'Waiting', dataset_id: datasetId, username: 'alice' });
  const id = created.id as string;
  t.equal((await stack.app.inject(`/models/${id}.json`)).json().status, 'Waiting');
  t.equal(await isQueued(stack, id), false, 'not in the train queue while it waits');

  // references of the wrong kind: a model as the dataset, a dataset as the previous model
  const wrongKind = await createModel(stack, alice, { model_name: 'm', dataset: id, framework: 'tensorflow', method: 'previous', previous_networks: datasetId, [`${datasetId}-snapshot`]: '0' });
  t.equal(wrongKind.statusCode, 400);
  t.same(wrongKind.json(), { errors: { dataset: ['Not a valid choice'], previous_networks: [STALE_JOB] }, code: 'VALIDATION_FAILED' });

  // an ingest-only worker builds the dataset; the waiting model goes to the train queue
  const worker = await startWorker(loadWorkerConfig({ ...stack.env, WORKER_QUEUES: 'ingest' }), createLogger({ level: 'silent', name: 'test' }));
  try {
    t.equal(await waitForStatus(stack.app, datasetId), 'Done');
    await until('the waiting model to be queued', () => isQueued(stack, id));
    t.pass('queued once its dataset is Done');
  } finally {
    await worker.close();
  }
});

t.test('on a built dataset: created models are queued; sweeps; HTML redirects; the model JSON', async (t) => {
  // the worker builds datasets only, so created models stay in the train queue
  const stack = await startStack(t, { env: { WORKER_QUEUES: 'ingest' } });
  const alice = await login(stack.app, 'alice');
  const datasetId = await mnistDataset(t, stack, alice);
  t.equal(await waitForStatus(stack.app, datasetId), 'Done');

  await t.test('one job: the §5.4 dict, Initialized and queued', async (t) => {
    const res = await createModel(stack, alice, { model_name: 'lenet-1', group_name: 'g', dataset: datasetId, ...NETWORK });
    t.equal(res.statusCode, 200, res.body);
    t.match(res.headers['content-type'], /^application\/json/);
    const created = res.json() as Json;
    t.match(created, {
      name: 'lenet-1', status: 'Initialized', dataset_id: datasetId, username: 'alice', framework: 'tensorflow',
      'snapshot file': 'no snapshots', 'image dimensions': [28, 28, 1], 'image resize mode': 'squash', 'labels file': 'labels.txt',
      'mean subtraction': 'image', 'digits version': '6.1.1',
    });
    t.match(created.id, /^\d{8}-\d{6}-[0-9a-f]{4}$/);
    t.equal(created['job id'], created.id);
    t.match(created['creation time'], /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}$/);
    t.notOk('snapshots' in created, 'the create answer is the non-detailed dict');
    const id = created.id as string;
    t.equal(await isQueued(stack, id), true, 'in the train queue');

    const shown = await stack.app.inject(`/models/${id}.json`);
    t.equal(shown.statusCode, 200);
    const detail = shown.json() as Json;
    t.match(detail, {
      id, name: 'lenet-1', status: 'Initialized', 'job id': id, 'creation time': created['creation time'], username: 'alice',
      dataset_id: datasetId, framework: 'tensorflow', 'snapshot file': 'no snapshots', directory: path.join(stack.jobsDir, id),
    });
    t.same(detail.snapshots, []);
    const accepted = await stack.app.inject({ url: `/models/${id}`, headers: { accept: 'application/json' } });
    t.same(accepted.json(), detail, 'Accept: application/json gets the same JSON');
    const page = await stack.app.inject(`/models/${id}`);
    t.equal(page.statusCode, 200);
    t.match(page.headers['content-type'], /^text\/html/);
    t.match(page.body, 'lenet-1');
  });

  await t.test('a 2 × 2 sweep: four jobs, batch size the outer loop, suffixed names', async (t) => {
    const res = await createModel(stack, alice, { model_name: 'sweep', dataset: datasetId, ...NETWORK, learning_rate: '0.01,0.001', batch_size: '[32,64]' });
    t.equal(res.statusCode, 200, res.body);
    const { jobs } = res.json() as { jobs: Json[] };
    t.same(jobs.map((j) => j.name), [
      'sweep learning_rate:0.01 batch_size:32',
      'sweep learning_rate:0.001 batch_size:32',
      'sweep learning_rate:0.01 batch_size:64',
      'sweep learning_rate:0.001 batch_size:64',
    ]);
    t.equal(new Set(jobs.map((j) => j.id)).size, 4, 'four distinct ids');
    for (const job of jobs) {
      t.match(job, { status: 'Initialized', dataset_id: datasetId, username: 'alice', 'job id': job.id, 'snapshot file': 'no snapshots' });
      t.equal(await isQueued(stack, job.id as string), true, `${String(job.name)} is queued`);
    }
  });

  await t.test('HTML create: 302 to the model page, a sweep to /', async (t) => {
    const before = await modelCount(stack);
    const one = await createModel(stack, alice, { model_name: 'html-one', dataset: datasetId, ...NETWORK }, true);
    t.equal(one.statusCode, 302, one.body);
    const location = String(one.headers.location);
    t.match(location, /^\/models\/\d{8}-\d{6}-[0-9a-f]{4}$/);
    t.match((await stack.app.inject(`${location}.json`)).json(), { name: 'html-one', status: 'Initialized' });
    const sweep = await createModel(stack, alice, { model_name: 'html-sweep', dataset: datasetId, ...NETWORK, learning_rate: '0.1,0.2' }, true);
    t.equal(sweep.statusCode, 302);
    t.equal(sweep.headers.location, '/');
    t.equal(await modelCount(stack), before + 3);
  });
});

t.test('GET /models/<id> for what is not a model: 404 with the envelope', async (t) => {
  const stack = await startStack(t, { worker: false });
  const alice = await login(stack.app, 'alice');
  const datasetId = await mnistDataset(t, stack, alice);
  for (const id of ['20200101-000000-0000', datasetId, 'not-an-id']) {
    const res = await stack.app.inject(`/models/${id}.json`);
    t.equal(res.statusCode, 404, id);
    t.match(res.json(), { error: { message: '404: Not Found', type: 'NotFound', description: 'Job not found', code: 'JOB_NOT_FOUND' } });
  }
  const html = await stack.app.inject('/models/20200101-000000-0000');
  t.equal(html.statusCode, 404);
  t.match(html.headers['content-type'], /^text\/html/);
});

/** §8.5 evaluated independently, multistep stepping at most once per point (§8.6). */
function expectedCurve(base: number, fields: Record<string, string>): number[] {
  const f = (name: string) => Number(fields[name]);
  const values = (fields.lr_multistep_values ?? '').split(',').map(Number);
  let steps = 0;
  return Array.from({ length: 101 }, (_, p) => {
    switch (fields.lr_policy) {
      case 'fixed': return base;
      case 'step': return base * f('lr_step_gamma') ** Math.floor(p / f('lr_step_size'));
      case 'multistep':
        if (steps < values.length && p >= values[steps]!) steps++;
        return base * f('lr_multistep_gamma') ** steps;
      case 'exp': return base * Math.exp(p * Math.log(f('lr_exp_gamma')));
      case 'inv': return base * Math.exp(-f('lr_inv_power') * Math.log1p(f('lr_inv_gamma') * p));
      case 'poly': return f('lr_poly_power') === 0 ? base : base * (1 - p / 100) ** f('lr_poly_power');
      case 'sigmoid': return base / (1 + Math.exp(f('lr_sigmoid_gamma') * (p - f('lr_sigmoid_step'))));
      default: throw new Error(`no formula for ${fields.lr_policy}`);
    }
  });
}

const close = (a: unknown, e: number) => typeof a === 'number' && (a === e || Math.abs(a - e) <= 1e-12 * Math.abs(e));

function visualize(stack: Stack, fields: Record<string, string>, accept?: string) {
  return stack.app.inject({
    method: 'POST', url: '/models/visualize-lr', payload: new URLSearchParams(fields).toString(),
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...(accept ? { accept } : {}) },
  });
}

t.test('POST /models/visualize-lr: 101 points per learning rate, as text/html JSON', async (t) => {
  const stack = await startStack(t, { worker: false });
  const cases: Array<Record<string, string>> = [
    { lr_policy: 'fixed', learning_rate: '0.01' },
    { lr_policy: 'step', learning_rate: '0.01,0.1', lr_step_size: '33', lr_step_gamma: '0.1' },
    { lr_policy: 'step', learning_rate: '0.5', lr_step_size: '12.5', lr_step_gamma: '1' },
    { lr_policy: 'multistep', learning_rate: '0.01,0.02', lr_multistep_values: '50,85', lr_multistep_gamma: '0.5' },
    { lr_policy: 'multistep', learning_rate: '0.01', lr_multistep_values: '50.2,50.5,90', lr_multistep_gamma: '0.1' },
    { lr_policy: 'exp', learning_rate: '[0.01, 0.001]', lr_exp_gamma: '0.95' },
    { lr_policy: 'inv', learning_rate: '0.01', lr_inv_gamma: '0.1', lr_inv_power: '0.5' },
    { lr_policy: 'poly', learning_rate: '0.01', lr_poly_power: '3' },
    { lr_policy: 'poly', learning_rate: '0.01', lr_poly_power: '0' },
    { lr_policy: 'sigmoid', learning_rate: '0.01', lr_sigmoid_step: '50', lr_sigmoid_gamma: '0.1' },
    { lr_policy: 'sigmoid', learning_rate: '0.01', lr_sigmoid_step: '50', lr_sigmoid_gamma: '0' },
  ];
  for (const fields of cases) {
    const label = JSON.stringify(fields);
    const res = await visualize(stack, fields);
    if (res.statusCode !== 200) {
      t.fail(`${label}: ${res.statusCode} ${res.body.slice(0, 300)}`);
      continue;
    }
    t.match(res.headers['content-type'], /^text\/html/, `${label}: text-json`);
    const body = JSON.parse(res.body) as { data: { columns: unknown[][] } };
    t.same(Object.keys(body), ['data']);
    t.same(Object.keys(body.data), ['columns']);
    const rates = fields.learning_rate!.replace(/[[\]]/g, '').split(',').map(Number);
    t.equal(body.data.columns.length, rates.length, `${label}: one column per learning rate`);
    rates.forEach((rate, j) => {
      const column = body.data.columns[j]!;
      t.equal(column[0], `Learning Rate ${j}`);
      t.equal(column.length, 102, `${label}: a label and 101 values`);
      const want = expectedCurve(rate, fields);
      const wrong = want.map((e, p) => [p, column[p + 1], e] as const).filter(([, a, e]) => !close(a, e));
      t.same(wrong, [], `${label}: column ${j} equals the formula`);
    });
  }
});

t.test('POST /models/visualize-lr refuses unknown policies and missing parameters with 400', async (t) => {
  const stack = await startStack(t, { worker: false });
  const json = 'application/json';
  const unknown = await visualize(stack, { lr_policy: 'cosine', learning_rate: '0.01' }, json);
  t.equal(unknown.statusCode, 400);
  t.match(unknown.json(), { error: { message: '400: Bad Request', type: 'BadRequest', description: /Invalid policy/ } });
  const unknownHtml = await visualize(stack, { lr_policy: 'cosine', learning_rate: '0.01' });
  t.equal(unknownHtml.statusCode, 400);
  t.match(unknownHtml.body, 'Invalid policy');

  const required = ['This field is required.'];
  const missing: Array<[Record<string, string>, Json]> = [
    [{ learning_rate: '0.01' }, { error: { description: /Invalid policy/ } }],
    [{ lr_policy: 'fixed' }, { errors: { learning_rate: ['invalid value'] } }],
    [{ lr_policy: 'fixed', learning_rate: 'fast' }, { errors: { learning_rate: ['invalid value'] } }],
    [{ lr_policy: 'step', learning_rate: '0.01', lr_step_size: '33' }, { errors: { lr_step_gamma: required } }],
    [{ lr_policy: 'step', learning_rate: '0.01', lr_step_gamma: '0.1' }, { errors: { lr_step_size: required } }],
    [{ lr_policy: 'step', learning_rate: '0.01', lr_step_size: 'x', lr_step_gamma: '0.1' }, { errors: { lr_step_size: ['Not a valid float value'] } }],
    [{ lr_policy: 'multistep', learning_rate: '0.01', lr_multistep_gamma: '0.5' }, { errors: { lr_multistep_values: ['invalid value'] } }],
    [{ lr_policy: 'multistep', learning_rate: '0.01', lr_multistep_values: '50,x', lr_multistep_gamma: '0.5' }, { errors: { lr_multistep_values: ['invalid value'] } }],
    [{ lr_policy: 'multistep', learning_rate: '0.01', lr_multistep_values: '50,85' }, { errors: { lr_multistep_gamma: required } }],
    [{ lr_policy: 'exp', learning_rate: '0.01' }, { errors: { lr_exp_gamma: required } }],
    [{ lr_policy: 'inv', learning_rate: '0.01', lr_inv_gamma: '0.1' }, { errors: { lr_inv_power: required } }],
    [{ lr_policy: 'poly', learning_rate: '0.01', lr_poly_power: '' }, { errors: { lr_poly_power: required } }],
    [{ lr_policy: 'sigmoid', learning_rate: '0.01', lr_sigmoid_gamma: '0.1' }, { errors: { lr_sigmoid_step: required } }],
  ];
  for (const [fields, body] of missing) {
    const res = await visualize(stack, fields, json);
    t.equal(res.statusCode, 400, JSON.stringify(fields));
    t.match(res.json(), body, JSON.stringify(fields));
  }
});
