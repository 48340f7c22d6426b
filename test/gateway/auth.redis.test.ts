// Login, logout, username rules and the 401/400/403 answers of contract §2.
import t from 'tap';
import { login, multipart, startStack } from '../helpers/stack.ts';

t.test('login sets an encrypted username session cookie and redirects to next', async (t) => {
  const { app } = await startStack(t, { worker: false });
  const res = await app.inject({ method: 'POST', url: '/login?next=/datasets', payload: 'username=alice', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
  t.equal(res.statusCode, 302);
  t.equal(res.headers.location, '/datasets');
  const cookie = res.cookies.find((c) => c.name === 'username');
  t.ok(cookie, 'sets the username cookie');
  t.not(cookie!.value, 'alice', 'the cookie value is not the bare username');
  const raw = String(res.headers['set-cookie']).split(';')[0]!;
  const put = await app.inject({ method: 'PUT', url: '/jobs/20200101-000000-0000', headers: { cookie: raw } });
  t.equal(put.statusCode, 404, 'the cookie logs in: a login-required route gets past 401 to the missing job');
});

t.test('login refuses invalid usernames with the page and a 200, as DIGITS', async (t) => {
  const { app } = await startStack(t, { worker: false });
  const cases: Array<[string, string]> = [
    ['', 'username is required'],
    ['Alice', 'Must start with a lowercase letter'],
    ['9lives', 'Must start with a lowercase letter'],
    ['bob smith', 'Only lowercase letters, numbers, periods, dashes and underscores allowed'],
  ];
  for (const [username, message] of cases) {
    const res = await app.inject({ method: 'POST', url: '/login', payload: `username=${encodeURIComponent(username)}`, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    t.equal(res.statusCode, 200, `"${username}"`);
    t.match(res.body, message);
    t.notOk(res.cookies.find((c) => c.name === 'username' && c.value), 'no session');
  }
});

t.test('login never redirects off-site', async (t) => {
  const { app } = await startStack(t, { worker: false });
  for (const next of ['https://evil.example/', '//evil.example/x', '/\\evil']) {
    const res = await app.inject({ method: 'POST', url: `/login?next=${encodeURIComponent(next)}`, payload: 'username=alice', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    t.equal(res.headers.location, '/', next);
  }
});

t.test('logout clears the session', async (t) => {
  const { app } = await startStack(t, { worker: false });
  const cookie = await login(app, 'alice');
  const res = await app.inject({ url: '/logout', headers: { cookie } });
  t.equal(res.statusCode, 302);
  const cleared = res.cookies.find((c) => c.name === 'username');
  t.ok(cleared && (cleared.value === '' || (cleared.expires && cleared.expires.getTime() <= Date.now())), 'cookie cleared');
});

t.test('create routes: 401 without a username, 400 for an invalid one, JSON envelope with code', async (t) => {
  const { app } = await startStack(t, { worker: false });
  const body = multipart({ dataset_name: 'x', folder_train: '/nowhere' });
  const anon = await app.inject({ method: 'POST', url: '/datasets/images/classification.json', ...body });
  t.equal(anon.statusCode, 401);
  t.match(anon.json(), { error: { message: '401: Unauthorized', type: 'Unauthorized', code: 'LOGIN_REQUIRED' } });
  t.notMatch(anon.body, /at .*\.ts:\d+/, 'no stack trace');
  const bad = await app.inject({ method: 'POST', url: '/datasets/images/classification.json?username=Bad', ...body });
  t.equal(bad.statusCode, 400);
  t.match(bad.json(), { error: { description: 'Invalid username - Must start with a lowercase letter', code: 'INVALID_USERNAME' } });
  const html = await app.inject({ method: 'POST', url: '/datasets/images/classification', ...body });
  t.equal(html.statusCode, 401);
  t.match(html.headers['content-type'], /text\/html/, 'HTML flavour without .json or Accept');
  const accept = await app.inject({ method: 'POST', url: '/datasets/images/classification', ...body, headers: { ...body.headers, accept: 'application/json' } });
  t.match(accept.json(), { error: { code: 'LOGIN_REQUIRED' } }, 'Accept: application/json wants JSON');
});

t.test('health and readiness', async (t) => {
  const { app } = await startStack(t, { worker: false });
  t.equal((await app.inject('/health')).statusCode, 200);
  t.same((await app.inject('/ready')).json(), { status: 'ready' });
  const missing = await app.inject('/no/such/route.json');
  t.equal(missing.statusCode, 404);
  t.match(missing.json(), { error: { message: '404: Not Found', code: 'NOT_FOUND' } });
});
