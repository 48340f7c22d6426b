// AUTH_MODE=token: Bearer API tokens on every mutating route (401 / 403 / success), revocation,
// hashed storage, token login for the pages, the `npm run tokens` admin command, username mode unchanged.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import path from 'node:path';
import { promisify } from 'node:util';
import t from 'tap';
import { Redis } from 'ioredis';
import { writeMnistPngs } from '../../scripts/mnist.ts';
import { login, multipart, startStack, type LightMyRequestResponse, type Stack } from '../helpers/stack.ts';

type Headers = Record<string, string>;
/** A subtest's `t`. */
type Test = Parameters<Parameters<typeof t.test>[0]>[0];

const REPO = path.resolve(import.meta.dirname, '../..');
const NETWORK = { framework: 'tensorflow', method: 'standard', standard_networks: 'lenet' };
const GRADIENTS = { train_image_count: '10', val_image_count: '2', image_width: '8', image_height: '8' };

const bearer = (token: string): Headers => ({ authorization: `Bearer ${token}` });

/** One request with optional form fields (multipart, as `curl -F`). */
function send(stack: Stack, method: string, url: string, headers: Headers = {}, fields: Record<string, string> = {}): Promise<LightMyRequestResponse> {
  if (Object.keys(fields).length === 0) return stack.app.inject({ method: method as 'GET', url, headers });
  const body = multipart(fields);
  return stack.app.inject({ method: method as 'POST', url, payload: body.payload, headers: { ...body.headers, ...headers } });
}

async function tokenStack(t: Test) {
  const stack = await startStack(t, { worker: false, env: { AUTH_MODE: 'token' } });
  const alice = (await stack.app.services.tokens.issue('alice')).token;
  const bob = (await stack.app.services.tokens.issue('bob')).token;
  return { stack, alice, bob };
}

/** A queued (never built: no worker) generic dataset owned by the token's user. */
async function gradientsDataset(t: Test, stack: Stack, token: string, name = 'g'): Promise<string> {
  const res = await send(stack, 'POST', '/datasets/generic/create/image-gradients.json', bearer(token), { dataset_name: name, ...GRADIENTS });
  t.equal(res.statusCode, 200, res.body);
  return (res.json() as { id: string }).id;
}

/** A classification dataset (queued) and a model waiting on it, both the token's user's. */
async function mnistDatasetAndModel(t: Test, stack: Stack, token: string): Promise<{ dataset: string; model: string }> {
  const dir = path.join(stack.dataDir, 'mnist');
  await writeMnistPngs(dir, { splits: ['train'], perClass: 3 });
  const body = multipart({ dataset_name: 'mnist', folder_train: path.join(dir, 'train'), resize_channels: '1', resize_width: '28', resize_height: '28' });
  const created = await stack.app.inject({ method: 'POST', url: '/datasets/images/classification.json', payload: body.payload, headers: { ...body.headers, ...bearer(token) } });
  t.equal(created.statusCode, 200, created.body);
  const dataset = (created.json() as { id: string }).id;
  const model = await send(stack, 'POST', '/models/images/classification.json', bearer(token), { model_name: 'm', dataset, ...NETWORK });
  t.equal(model.statusCode, 200, model.body);
  return { dataset, model: (model.json() as { id: string }).id };
}

interface Protected { method: string; url: string; fields?: Record<string, string> }

/** Every route that needs an identity in token mode; `:id` is filled with a job of alice's. */
function protectedRoutes(stack: Stack, ids: { dataset: string; model: string }, dir: string): Protected[] {
  const classificationDs = { dataset_name: 'x', folder_train: dir, resize_channels: '1', resize_width: '28', resize_height: '28' };
  const model = { model_name: 'x', dataset: ids.dataset, ...NETWORK };
  const routes: Protected[] = [
    { method: 'PUT', url: `/jobs/${ids.dataset}`, fields: { job_name: 'renamed' } },
    { method: 'DELETE', url: `/jobs/${ids.dataset}` },
    { method: 'DELETE', url: `/datasets/${ids.dataset}` },
    { method: 'DELETE', url: `/models/${ids.model}` },
    { method: 'POST', url: `/jobs/${ids.dataset}/abort` },
    { method: 'POST', url: `/datasets/${ids.dataset}/abort` },
    { method: 'POST', url: `/models/${ids.model}/abort` },
    { method: 'POST', url: `/clone/${ids.model}` },
    { method: 'POST', url: '/datasets/images/classification', fields: classificationDs },
    { method: 'POST', url: '/datasets/images/classification.json', fields: classificationDs },
    { method: 'POST', url: '/datasets/generic/create/image-gradients.json', fields: { dataset_name: 'x', ...GRADIENTS } },
    { method: 'POST', url: '/datasets/images/generic.json', fields: { dataset_name: 'x' } },
    { method: 'POST', url: '/models/images/classification.json', fields: model },
    { method: 'POST', url: '/models/images/classification', fields: model },
    { method: 'POST', url: '/models/images/generic.json', fields: model },
    { method: 'POST', url: '/models/images/genericimage-gradients.json', fields: model },
    { method: 'POST', url: '/models/images/generic/image-gradients.json', fields: model },
    { method: 'POST', url: '/pretrained_models/new', fields: { job_name: 'x' } },
    { method: 'POST', url: '/pretrained_models/new.json', fields: { job_name: 'x' } },
    { method: 'POST', url: '/pretrained_models/upload_archive' },
  ];
  // added beside this work: protected too whenever the gateway has it
  if (stack.app.routeTable.some((r) => r.url === '/models/:id/resume')) routes.push({ method: 'POST', url: `/models/${ids.model}/resume` });
  return routes;
}

/** Non-GET routes that stay open in token mode: they create, change and delete no job (§2.3). */
const OPEN = new Set([
  '/login', '/logout', '/models/visualize-lr', '/datasets/images/resize-example', '/models/customize', '/models/visualize-network', '/models/:id/:file',
  ...['classification/classify_one', 'classification/classify_many', 'classification/top_n', 'generic/infer_one', 'generic/infer_many', 'generic/infer_db', 'generic/infer_extension']
    .flatMap((r) => [`/models/images/${r}`, `/models/images/${r}.json`]),
]);
const PROTECTED_PATTERNS = new Set([
  '/jobs/:id', '/datasets/:id', '/models/:id', '/jobs/:id/abort', '/datasets/:id/abort', '/models/:id/abort', '/clone/:id', '/models/:id/resume',
  '/datasets/images/classification', '/datasets/images/classification.json', '/datasets/generic/create/:extension', '/datasets/images/generic', '/datasets/images/generic.json',
  '/models/images/classification', '/models/images/classification.json', '/models/images/generic', '/models/images/generic.json', '/models/images/generic:extension', '/models/images/generic/:extension',
  '/pretrained_models/new', '/pretrained_models/new.json', '/pretrained_models/upload_archive',
]);

const jobJson = async (stack: Stack, id: string) => (await stack.app.inject(`/jobs/${id}/status`)).json() as { status?: string; name?: string; error?: string | null };

t.test('every mutating route is classified: protected by identity, or open because it changes no job', async (t) => {
  const stack = await startStack(t, { worker: false, env: { AUTH_MODE: 'token' } });
  for (const route of stack.app.routeTable) {
    if (route.methods.every((m) => m === 'GET' || m === 'HEAD')) continue;
    t.ok(PROTECTED_PATTERNS.has(route.url) || OPEN.has(route.url), `${route.methods.join(',')} ${route.url} is classified`);
  }
});

t.test('without a token every mutating route is 401 AUTH_TOKEN_REQUIRED, a username field included', async (t) => {
  const { stack, alice } = await tokenStack(t);
  const ids = await mnistDatasetAndModel(t, stack, alice);
  for (const route of protectedRoutes(stack, ids, path.join(stack.dataDir, 'mnist', 'train'))) {
    for (const fields of [route.fields ?? {}, { ...route.fields, username: 'alice' }]) {
      const res = await send(stack, route.method, route.url, { accept: 'application/json' }, fields);
      const what = `${route.method} ${route.url}${fields.username ? ' with username=alice' : ''}`;
      t.equal(res.statusCode, 401, what);
      t.match(res.json(), { error: { message: '401: Unauthorized', type: 'Unauthorized', code: 'AUTH_TOKEN_REQUIRED' } }, what);
      t.equal(res.headers['www-authenticate'], 'Bearer realm="digits"', `${what}: WWW-Authenticate`);
    }
    const query = await send(stack, route.method, `${route.url}?username=alice`, { accept: 'application/json' }, route.fields);
    t.equal(query.statusCode, 401, `${route.method} ${route.url}?username=alice`);
  }
  t.match(await jobJson(stack, ids.dataset), { status: 'Initialized', name: 'mnist' }, 'the dataset was neither renamed, aborted nor deleted');
  t.match(await jobJson(stack, ids.model), { status: 'Waiting' }, 'the model is untouched');
  const index = (await stack.app.inject('/index.json')).json() as { datasets: unknown[]; models: unknown[] };
  t.equal(index.datasets.length + index.models.length, 2, 'no job was created');
});

t.test('an invalid, malformed or revoked token is 401 AUTH_TOKEN_INVALID', async (t) => {
  const { stack, alice } = await tokenStack(t);
  const id = await gradientsDataset(t, stack, alice);
  const revoked = await stack.app.services.tokens.issue('alice');
  t.equal((await send(stack, 'PUT', `/jobs/${id}`, bearer(revoked.token), { job_name: 'ok' })).statusCode, 200, 'works before revocation');
  t.ok(await stack.app.services.tokens.revoke(revoked.record.id), 'revoked by id');
  const cases: Array<[string, Headers]> = [
    ['revoked', bearer(revoked.token)],
    ['never issued', bearer(`dgt_${'A'.repeat(43)}`)],
    ['no dgt_ prefix', bearer('hunter2')],
    ['Basic scheme', { authorization: `Basic ${Buffer.from('alice:x').toString('base64')}` }],
    ['Bearer without token', { authorization: 'Bearer' }],
  ];
  for (const [what, headers] of cases) {
    const res = await send(stack, 'PUT', `/jobs/${id}.json`, headers, { job_name: 'hijacked' });
    t.equal(res.statusCode, 401, what);
    t.match(res.json(), { error: { code: 'AUTH_TOKEN_INVALID' } }, what);
    t.equal(res.headers['www-authenticate'], 'Bearer realm="digits", error="invalid_token"', `${what}: WWW-Authenticate`);
  }
  t.equal((await jobJson(stack, id)).name, 'ok', 'never renamed by a bad token');
  const abort = await send(stack, 'POST', `/datasets/${id}/abort`, { ...bearer(revoked.token), accept: 'application/json' });
  t.equal(abort.statusCode, 401, 'abort with a revoked token');
  t.equal((await jobJson(stack, id)).status, 'Initialized');
});

t.test("another user's token on someone else's job is 403 FORBIDDEN; a username that is not the token's is 403", async (t) => {
  const { stack, alice, bob } = await tokenStack(t);
  const ids = await mnistDatasetAndModel(t, stack, alice);
  const jobRoutes = protectedRoutes(stack, ids, '').filter((r) => /\/(jobs|datasets|models)\/\d/.test(r.url));
  t.ok(jobRoutes.length >= 7, 'edit, three deletes and three aborts at least');
  for (const route of jobRoutes) {
    const res = await send(stack, route.method, route.url, { ...bearer(bob), accept: 'application/json' }, route.fields);
    t.equal(res.statusCode, 403, `${route.method} ${route.url}`);
    t.match(res.json(), { error: { code: 'FORBIDDEN', description: /Only alice may/ } }, `${route.method} ${route.url}`);
  }
  t.match(await jobJson(stack, ids.dataset), { status: 'Initialized', name: 'mnist' }, 'bob changed nothing');
  t.match(await jobJson(stack, ids.model), { status: 'Waiting' });

  const asAlice = await send(stack, 'PUT', `/jobs/${ids.dataset}.json`, bearer(bob), { job_name: 'x', username: 'alice' });
  t.equal(asAlice.statusCode, 403, "bob's token cannot claim to be alice");
  t.match(asAlice.json(), { error: { code: 'USERNAME_MISMATCH', description: 'This API token belongs to bob; it cannot act as alice' } });
  const create = await send(stack, 'POST', '/datasets/generic/create/image-gradients.json?username=carol', bearer(bob), { dataset_name: 'x', ...GRADIENTS });
  t.equal(create.statusCode, 403, 'nor create a job in another name');
  t.match(create.json(), { error: { code: 'USERNAME_MISMATCH' } });
  const same = await send(stack, 'POST', '/datasets/generic/create/image-gradients.json', bearer(bob), { dataset_name: 'b', username: 'bob', ...GRADIENTS });
  t.equal(same.statusCode, 200, 'a username equal to the token user is fine (DIGITS scripts send one)');
  t.match(same.json(), { name: 'b' });
});

t.test("the owner's token succeeds on every mutating route", async (t) => {
  const { stack, alice } = await tokenStack(t);
  const ids = await mnistDatasetAndModel(t, stack, alice);
  const dir = path.join(stack.dataDir, 'mnist', 'train');
  const json = { ...bearer(alice), accept: 'application/json' };
  t.match((await stack.app.inject(`/models/${ids.model}.json`)).json(), { username: 'alice' }, 'jobs belong to the token user');

  const put = await send(stack, 'PUT', `/jobs/${ids.dataset}`, bearer(alice), { job_name: 'renamed', job_notes: 'n' });
  t.equal(put.statusCode, 200);
  t.equal(put.body, 'Image Classification Dataset updated.');
  const clone = await send(stack, 'POST', `/clone/${ids.model}`, bearer(alice));
  t.equal(clone.statusCode, 302);
  t.equal(clone.headers.location, `/models/images/classification/new?clone=${ids.model}`);

  const creates: Array<[string, Record<string, string>]> = [
    ['/datasets/images/classification.json', { dataset_name: 'c', folder_train: dir, resize_channels: '1', resize_width: '28', resize_height: '28' }],
    ['/datasets/generic/create/image-gradients.json', { dataset_name: 'g', ...GRADIENTS }],
    ['/models/images/classification.json', { model_name: 'm2', dataset: ids.dataset, ...NETWORK }],
  ];
  for (const [url, fields] of creates) {
    const res = await send(stack, 'POST', url, json, fields);
    t.equal(res.statusCode, 200, `${url}: ${res.body}`);
    t.match((await stack.app.inject(`/jobs/${(res.json() as { id: string }).id}/status`)).json(), { error: null }, `${url} created a job`);
  }
  const html = await send(stack, 'POST', '/datasets/images/classification', bearer(alice), creates[0]![1]);
  t.equal(html.statusCode, 302, 'the HTML flavour redirects to the new dataset');

  // abort and delete, each through its own route, each on a job of its own
  const aborts = [`/models/${ids.model}/abort`, `/datasets/${await gradientsDataset(t, stack, alice)}/abort`, `/jobs/${await gradientsDataset(t, stack, alice)}/abort`];
  for (const url of aborts) {
    const res = await send(stack, 'POST', url, bearer(alice));
    t.equal(res.statusCode, 200, url);
    t.equal(res.body, 'Job aborted.', url);
  }
  t.equal((await jobJson(stack, ids.model)).status, 'Aborted');
  if (stack.app.routeTable.some((r) => r.url === '/models/:id/resume')) {
    // identity and ownership pass; this model never wrote a checkpoint, so the action itself refuses
    const resume = await send(stack, 'POST', `/models/${ids.model}/resume`, json);
    t.notOk([401, 403].includes(resume.statusCode), `resume gets past identity and ownership (${resume.statusCode} ${resume.body})`);
  }
  const deletes = [`/models/${ids.model}`, `/datasets/${await gradientsDataset(t, stack, alice)}`, `/jobs/${await gradientsDataset(t, stack, alice)}`];
  for (const url of deletes) {
    const res = await send(stack, 'DELETE', url, bearer(alice));
    t.equal(res.statusCode, 200, url);
    t.equal(res.body, 'Job deleted.', url);
  }
  t.same(await jobJson(stack, ids.model), { error: 'Job not found.' });
});

t.test('read routes stay open without a token, even with a bad one', async (t) => {
  const { stack, alice } = await tokenStack(t);
  const id = await gradientsDataset(t, stack, alice);
  for (const url of ['/index.json', `/datasets/${id}.json`, `/jobs/${id}/status`, '/workers.json', '/']) {
    t.equal((await stack.app.inject(url)).statusCode, 200, url);
    t.equal((await stack.app.inject({ url, headers: bearer('dgt_revoked') })).statusCode, 200, `${url} with a bad token`);
  }
  const lr = await send(stack, 'POST', '/models/visualize-lr', {}, { lr_policy: 'fixed', learning_rate: '0.01' });
  t.equal(lr.statusCode, 200, 'POSTs that change no job stay open');
});

t.test('tokens are stored only as sha256 hashes under the store prefix', async (t) => {
  const { stack } = await tokenStack(t);
  const { token, record } = await stack.app.services.tokens.issue('carol');
  const redis = new Redis(stack.redisUrl);
  t.teardown(() => redis.quit());
  const keys = await redis.keys(`${stack.prefix}:*`);
  t.same(keys.sort(), [`${stack.prefix}:store:api-token-ids`, `${stack.prefix}:store:api-tokens`], 'two hashes under <prefix>:store:');
  const dump: string[] = [];
  for (const key of keys) dump.push(key, ...Object.entries(await redis.hgetall(key)).flat());
  const secret = token.slice('dgt_'.length);
  t.notOk(dump.some((s) => s.includes(secret)), 'the token itself is nowhere in Redis');
  const hash = createHash('sha256').update(token).digest('hex');
  t.same(JSON.parse((await redis.hget(`${stack.prefix}:store:api-tokens`, hash))!), record, 'its sha256 maps to the record');
  t.equal(await redis.hget(`${stack.prefix}:store:api-token-ids`, record.id), hash);
  t.match(token, /^dgt_[A-Za-z0-9_-]{43}$/, '32 random bytes, base64url');
  t.same(await stack.app.services.tokens.verify(token), record);
});

t.test('POST /login takes a token for the pages; a bare username is refused; revoking ends the session', async (t) => {
  const { stack } = await tokenStack(t);
  const form = { 'content-type': 'application/x-www-form-urlencoded' };
  const page = await stack.app.inject('/login');
  t.match(page.body, /name="token"/, 'the login page asks for a token');
  t.notMatch(page.body, /name="username"/);

  const byName = await stack.app.inject({ method: 'POST', url: '/login', payload: 'username=alice', headers: form });
  t.equal(byName.statusCode, 401, 'a username alone does not log in');
  t.match(byName.body, 'logs in with API tokens, not usernames');
  t.notOk(byName.cookies.find((c) => c.name === 'username' && c.value), 'no session');
  const bad = await stack.app.inject({ method: 'POST', url: '/login', payload: 'token=dgt_nope', headers: { ...form, accept: 'application/json' } });
  t.equal(bad.statusCode, 401);
  t.match(bad.json(), { error: { code: 'AUTH_TOKEN_INVALID' } });

  const { token, record } = await stack.app.services.tokens.issue('dave');
  const inQuery = await stack.app.inject({ method: 'POST', url: `/login?token=${token}`, payload: '', headers: form });
  t.equal(inQuery.statusCode, 401, 'a token in the query string is not read (URLs get logged)');
  const ok = await stack.app.inject({ method: 'POST', url: '/login?next=/datasets/images/classification/new', payload: `token=${token}`, headers: form });
  t.equal(ok.statusCode, 302);
  t.equal(ok.headers.location, '/datasets/images/classification/new');
  const cookie = String(ok.headers['set-cookie']).split(';')[0]!;
  t.notMatch(cookie, token.slice(4), 'the cookie does not carry the token');
  t.match((await stack.app.inject({ url: '/', headers: { cookie } })).body, 'Logged in as <strong>dave</strong>', 'the pages show who is logged in');
  t.equal((await stack.app.inject({ url: '/datasets/images/classification/new', headers: { cookie } })).statusCode, 200, 'the new pages open');
  const created = await send(stack, 'POST', '/datasets/generic/create/image-gradients.json', { cookie }, { dataset_name: 'd', ...GRADIENTS });
  t.equal(created.statusCode, 200, 'the session creates jobs (scripts with a cookie jar, as in username mode)');
  t.equal((await stack.app.services.store.get((created.json() as { id: string }).id))?.username, 'dave', 'owned by the token user');
  const forged = await send(stack, 'POST', '/datasets/generic/create/image-gradients.json', { cookie, origin: 'https://evil.example', accept: 'application/json' }, { dataset_name: 'e', ...GRADIENTS });
  t.equal(forged.statusCode, 403, 'CSRF stays as it is for sessions');
  t.match(forged.json(), { error: { code: 'CSRF_TOKEN_INVALID' } });

  await stack.app.services.tokens.revoke(token);
  t.equal(record.username, 'dave');
  const after = await send(stack, 'POST', '/datasets/generic/create/image-gradients.json', { cookie, accept: 'application/json' }, { dataset_name: 'f', ...GRADIENTS });
  t.equal(after.statusCode, 401, 'a revoked token ends the sessions it opened');
  t.match(after.json(), { error: { code: 'AUTH_TOKEN_REQUIRED' } });
  const home = await stack.app.inject({ url: '/', headers: { cookie } });
  t.notMatch(home.body, 'Logged in as', 'the pages show nobody logged in');
  t.equal((await stack.app.inject({ url: '/datasets/images/classification/new', headers: { cookie } })).statusCode, 302, 'new pages send to /login again');
});

t.test('a session opened in username mode logs nobody in once the gateway runs in token mode', async (t) => {
  const SESSION_KEY = 'ab'.repeat(32);
  const before = await startStack(t, { worker: false, env: { SESSION_KEY } });
  const cookie = await login(before.app, 'alice');
  const after = await startStack(t, { worker: false, env: { SESSION_KEY, AUTH_MODE: 'token' } });
  const res = await send(after, 'POST', '/datasets/generic/create/image-gradients.json', { cookie, accept: 'application/json' }, { dataset_name: 'x', ...GRADIENTS });
  t.equal(res.statusCode, 401);
  t.match(res.json(), { error: { code: 'AUTH_TOKEN_REQUIRED' } });
  t.notMatch((await after.app.inject({ url: '/', headers: { cookie } })).body, 'Logged in as', 'the pages show nobody logged in');
  const sameKey = await send(before, 'POST', '/datasets/generic/create/image-gradients.json', { cookie }, { dataset_name: 'x', ...GRADIENTS });
  t.equal(sameKey.statusCode, 200, 'the cookie itself is good: the username-mode gateway takes it');
});

t.test('npm run tokens: issue prints the token once, list shows it, revoke ends it (a real process)', async (t) => {
  const { stack } = await tokenStack(t);
  // a plain environment: tap's own loaders and settings would only slow the child down
  const env = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', REDIS_URL: stack.redisUrl, QUEUE_PREFIX: stack.prefix };
  const tokens = (...args: string[]) => promisify(execFile)(process.execPath, ['--import', 'tsx', 'scripts/tokens.ts', ...args], { cwd: REPO, env })
    .then((r) => ({ code: 0, ...r }), (err: { code: number; stdout: string; stderr: string }) => err);

  const issued = await tokens('issue', 'erin');
  t.equal(issued.code, 0, issued.stderr);
  const token = issued.stdout.trim();
  t.match(token, /^dgt_[A-Za-z0-9_-]{43}$/, 'stdout is the token alone');
  const id = /issued token ([0-9a-f]{12}) for erin/.exec(issued.stderr)?.[1];
  t.ok(id, 'stderr names the token id');
  t.match(issued.stderr, 'cannot be shown again');

  // independent runs, side by side: each process spends seconds loading TypeScript
  const second = (await stack.app.services.tokens.issue('erin')).token;
  const [listed, byToken, badName, usage] = await Promise.all([tokens('list'), tokens('revoke', second), tokens('issue', 'Erin'), tokens('frobnicate')]);
  t.equal(listed.code, 0);
  t.match(listed.stdout, new RegExp(`^${id}\\terin\\t\\d{4}-\\d\\d-\\d\\dT`, 'm'), 'list: id, username, created');
  t.notMatch(listed.stdout, token.slice(4), 'list never shows a token');
  t.equal(byToken.code, 0, 'revoke also takes the token itself');
  t.equal(await stack.app.services.tokens.verify(second), null);
  t.equal(badName.code, 2);
  t.match(badName.stderr, 'Invalid username - Must start with a lowercase letter');
  t.equal(usage.code, 2);
  t.match(usage.stderr, 'Usage: npm run tokens');

  const created = await send(stack, 'POST', '/datasets/generic/create/image-gradients.json', bearer(token), { dataset_name: 'e', ...GRADIENTS });
  t.equal(created.statusCode, 200, 'the issued token works against the gateway');
  t.match(created.json(), { name: 'e' });
  const revoked = await tokens('revoke', id!);
  t.equal(revoked.code, 0, revoked.stderr);
  t.match(revoked.stdout, `revoked token ${id} of erin`);
  t.equal((await send(stack, 'PUT', `/jobs/${(created.json() as { id: string }).id}`, bearer(token), { job_name: 'x' })).statusCode, 401, 'the revoked token is refused');
  t.notOk((await stack.app.services.tokens.list()).some((r) => r.username === 'erin'), 'no live tokens left for erin');
  t.equal((await tokens('revoke', id!)).code, 1, 'revoking it again: exit 1');
});

t.test('username mode is unchanged: Bearer tokens are ignored, usernames work as in DIGITS', async (t) => {
  const stack = await startStack(t, { worker: false });
  t.equal(stack.app.services.config.authMode, 'username', 'the default');
  const { token } = await stack.app.services.tokens.issue('alice');
  const anon = await send(stack, 'POST', '/datasets/generic/create/image-gradients.json', bearer(token), { dataset_name: 'x', ...GRADIENTS });
  t.equal(anon.statusCode, 401, 'a token is no login here');
  t.match(anon.json(), { error: { code: 'LOGIN_REQUIRED' } });
  t.notOk(anon.headers['www-authenticate'], 'no Bearer challenge');
  const named = await send(stack, 'POST', '/datasets/generic/create/image-gradients.json?username=bob', {}, { dataset_name: 'x', ...GRADIENTS });
  t.equal(named.statusCode, 200, 'a username arg is who you are');
  t.match((await stack.app.inject('/login')).body, /name="username"/);
});
