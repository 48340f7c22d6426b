// The inference routes read their fields through FormSpecs (apps/gateway/src/forms/inference-form.ts):
// the refusals keep DIGITS' messages in the error envelope with our codes, args come from the query
// as well as the form, and /openapi.json documents exactly the fields each spec parses.
import t from 'tap';
import { CLASSIFY_MANY_FORM, CLASSIFY_ONE_FORM, IMAGE_LIST_UPLOADS, INFER_DB_FORM, INFER_MANY_FORM, INFER_ONE_FORM, ONE_IMAGE_UPLOADS, TOP_N_FORM } from '../../apps/gateway/src/forms/inference-form.ts';
import { VIEW_FORM } from '../../apps/gateway/src/forms/view-extensions.ts';
import { multipart, startStack } from '../helpers/stack.ts';

const UNKNOWN_JOB = '20200101-000000-abcd';
const ROUTES = {
  '/models/images/classification/classify_one': { spec: CLASSIFY_ONE_FORM, uploads: ONE_IMAGE_UPLOADS },
  '/models/images/classification/classify_many': { spec: CLASSIFY_MANY_FORM, uploads: IMAGE_LIST_UPLOADS },
  '/models/images/classification/top_n': { spec: TOP_N_FORM, uploads: IMAGE_LIST_UPLOADS },
  // generic routes also read the view and its config from the body (§10.6)
  '/models/images/generic/infer_one': { spec: { ...INFER_ONE_FORM, ...VIEW_FORM }, uploads: ONE_IMAGE_UPLOADS },
  '/models/images/generic/infer_many': { spec: { ...INFER_MANY_FORM, ...VIEW_FORM }, uploads: IMAGE_LIST_UPLOADS },
  '/models/images/generic/infer_db': { spec: { ...INFER_DB_FORM, ...VIEW_FORM }, uploads: [] },
};

t.test('inference forms: refusals, args and docs', async (t) => {
  const stack = await startStack(t, { worker: false, env: { RATE_LIMIT_INFER_PER_MIN: '0' } });
  const post = async (url: string, fields: Record<string, string>) => {
    const body = multipart(fields);
    const res = await stack.app.inject({ method: 'POST', url, payload: body.payload, headers: body.headers });
    return { status: res.statusCode, error: (res.json() as { error?: { description: string; code: string } }).error };
  };

  for (const route of Object.keys(ROUTES)) {
    const url = `${route}.json`;
    t.match(await post(url, {}), { status: 400, error: { code: 'BAD_REQUEST', description: 'job_id is a required field' } }, `${route}: no job_id`);
    t.match(await post(url, { job_id: '' }), { status: 400, error: { code: 'BAD_REQUEST' } }, `${route}: an empty job_id is missing`);
    // spaces are a job_id that names no job, as DIGITS looked it up
    t.match(await post(url, { job_id: '  ', db_path: '/x' }), { status: 404, error: { code: 'JOB_NOT_FOUND' } }, `${route}: a blank job_id`);
    t.match(await post(url, { job_id: UNKNOWN_JOB, snapshot_epoch: 'newest', db_path: '/x' }), { status: 400, error: { code: 'VALIDATION_FAILED', description: 'snapshot_epoch must be a number' } }, `${route}: a bad epoch`);
    t.match(await post(url, { job_id: UNKNOWN_JOB, snapshot_epoch: ' ', db_path: '/x' }), { status: 404, error: { code: 'JOB_NOT_FOUND' } }, `${route}: a blank epoch is the newest`);
  }
  for (const route of ['/models/images/classification/classify_many', '/models/images/classification/top_n', '/models/images/generic/infer_many']) {
    t.match(await post(`${route}.json`, { job_id: UNKNOWN_JOB, num_test_images: '2.5' }), { status: 400, error: { code: 'VALIDATION_FAILED', description: 'num_test_images must be an integer' } }, `${route}: num_test_images`);
  }
  for (const topN of ['0', '-3', 'nine']) {
    t.match(await post('/models/images/classification/top_n.json', { job_id: UNKNOWN_JOB, top_n: topN }), { status: 400, error: { code: 'VALIDATION_FAILED', description: 'top_n must be a positive integer' } }, `top_n=${topN}`);
  }
  t.match(await post('/models/images/classification/top_n.json', { job_id: UNKNOWN_JOB, top_n: '' }), { status: 404 }, 'a blank top_n is the default');
  t.match(await post('/models/images/generic/infer_db.json', { job_id: UNKNOWN_JOB }), { status: 400, error: { code: 'BAD_REQUEST', description: 'db_path is a required field' } }, 'infer_db: no db_path');
  // an arg: the query string is read before the form
  const body = multipart({ job_id: 'not-a-job' });
  const fromQuery = await stack.app.inject({ method: 'POST', url: '/models/images/classification/classify_one.json?snapshot_epoch=x', payload: body.payload, headers: body.headers });
  t.equal(fromQuery.json().error.description, 'snapshot_epoch must be a number', 'snapshot_epoch from the query');
  const get = await stack.app.inject(`/models/images/classification/classify_one.json?job_id=${UNKNOWN_JOB}`);
  t.equal(get.json().error.code, 'JOB_NOT_FOUND', 'job_id from the query of a GET');

  // the docs list what the specs parse, plus the uploads
  const spec = (await stack.app.inject('/openapi.json')).json() as { paths: Record<string, { post: { requestBody: { content: Record<string, { schema: { properties: Record<string, unknown> } }> } } }> };
  for (const [route, { spec: form, uploads }] of Object.entries(ROUTES)) {
    const documented = Object.keys(spec.paths[route]!.post.requestBody.content['multipart/form-data']!.schema.properties);
    t.same(documented.sort(), [...Object.keys(form), ...uploads].sort(), `${route} documents its spec's fields`);
  }
});
