// Rate limits (RATE_LIMIT_INFER_PER_MIN, RATE_LIMIT_LOGIN_PER_MIN) and load shedding
// (PRESSURE_MAX_HEAP_BYTES, PRESSURE_MAX_EVENT_LOOP_DELAY_MS): 429 RATE_LIMITED and 503
// SERVER_BUSY in DIGITS' error envelope with Retry-After; liveness and metrics still answer.
import { setTimeout as sleep } from 'node:timers/promises';
import t from 'tap';
import type { FastifyInstance } from 'fastify';
import { multipart, startStack } from '../helpers/stack.ts';

const CLASSIFY = '/models/images/classification/classify_one.json';

/** Polls `url` until it answers `status` (bounded); returns that answer. */
async function until(app: FastifyInstance, url: string, status: number, ms: number) {
  const deadline = Date.now() + ms;
  for (;;) {
    const res = await app.inject(url);
    if (res.statusCode === status) return res;
    if (Date.now() > deadline) throw new Error(`${url} still ${res.statusCode} after ${ms} ms, waiting for ${status}`);
    await sleep(50);
  }
}

t.test('inference routes share one per-client budget; over it, 429 RATE_LIMITED in the envelope', async (t) => {
  const { app } = await startStack(t, { worker: false, env: { RATE_LIMIT_INFER_PER_MIN: '3', RATE_LIMIT_LOGIN_PER_MIN: '2' } });
  // no job_id: each is a 400, but still a request against the budget
  for (const url of [CLASSIFY, '/models/images/classification/classify_one', '/models/images/generic/infer_one.json']) {
    const res = await app.inject({ method: 'POST', url });
    t.equal(res.statusCode, 400, `${url} within the limit`);
    t.equal(res.headers['x-ratelimit-limit'], '3');
  }
  for (const url of [CLASSIFY, '/models/images/classification/classify_many.json', '/models/images/generic/infer_db.json', '/models/visualize-network?framework=caffe']) {
    const res = await app.inject({ method: 'POST', url, headers: { accept: 'application/json' } });
    t.equal(res.statusCode, 429, `${url}: the fourth inference request of the minute`);
    t.match(res.json(), { error: { message: '429: Too Many Requests', type: 'TooManyRequests', description: /at most 3 a minute/, code: 'RATE_LIMITED', details: { limit: 3 } } });
    t.ok(Number(res.headers['retry-after']) > 0 && Number(res.headers['retry-after']) <= 60, `Retry-After ${res.headers['retry-after']} s`);
  }
  const page = await app.inject({ method: 'POST', url: '/models/images/classification/classify_one', headers: { accept: 'text/html' } });
  t.equal(page.statusCode, 429, 'a browser gets the error page');
  t.match(page.body, /RATE_LIMITED/);
  t.equal((await app.inject({ method: 'POST', url: CLASSIFY, remoteAddress: '10.1.2.3' })).statusCode, 400, 'another address has its own budget');
  t.equal((await app.inject('/index.json')).statusCode, 200, 'other routes are not limited');

  const login = (remoteAddress?: string) => {
    const body = multipart({ username: 'alice' });
    return app.inject({ method: 'POST', url: '/login', payload: body.payload, headers: body.headers, ...(remoteAddress ? { remoteAddress } : {}) });
  };
  t.equal((await login()).statusCode, 302);
  t.equal((await login()).statusCode, 302);
  const third = await login();
  t.equal(third.statusCode, 429, 'the third login of the minute');
  t.match(third.body, /RATE_LIMITED/);
  t.equal((await login('10.1.2.3')).statusCode, 302, 'logins are counted per address too');
});

t.test('0 turns the rate limits off', async (t) => {
  const { app } = await startStack(t, { worker: false, env: { RATE_LIMIT_INFER_PER_MIN: '0', RATE_LIMIT_LOGIN_PER_MIN: '0' } });
  for (let i = 0; i < 20; i++) {
    const res = await app.inject({ method: 'POST', url: CLASSIFY });
    if (res.statusCode !== 400) t.fail(`request ${i}: ${res.statusCode}`);
  }
  t.notOk((await app.inject({ method: 'POST', url: CLASSIFY })).headers['x-ratelimit-limit'], 'no rate-limit headers at all');
});

t.test('over PRESSURE_MAX_HEAP_BYTES every route but /health and /metrics answers 503 SERVER_BUSY', async (t) => {
  // one byte: over the limit from the first sample on (a second after start)
  const { app } = await startStack(t, { worker: false, env: { PRESSURE_MAX_HEAP_BYTES: '1' } });
  const res = await until(app, '/index.json', 503, 5_000);
  t.match(res.json(), { error: { message: '503: Service Unavailable', type: 'ServiceUnavailable', description: /too busy \(heap \d+ bytes\)/, code: 'SERVER_BUSY' } });
  t.equal(res.headers['retry-after'], '10');
  t.equal((await app.inject('/health')).statusCode, 200, '/health still answers');
  t.equal((await app.inject('/metrics')).statusCode, 200, '/metrics still answers');
  const ready = await app.inject({ url: '/ready', headers: { accept: 'application/json' } });
  t.equal(ready.statusCode, 503, '/ready says to send the traffic elsewhere');
  t.match(ready.json(), { error: { code: 'SERVER_BUSY' } });
  const page = await app.inject({ url: '/', headers: { accept: 'text/html' } });
  t.equal(page.statusCode, 503);
  t.match(page.body, /SERVER_BUSY/);
  const form = multipart({ username: 'alice' });
  t.equal((await app.inject({ method: 'POST', url: '/login', payload: form.payload, headers: form.headers })).statusCode, 503, 'posts are shed before their body is read');
});

t.test('a drowning event loop (over PRESSURE_MAX_EVENT_LOOP_DELAY_MS) sheds load, and recovers', async (t) => {
  const { app } = await startStack(t, { worker: false, env: { PRESSURE_MAX_EVENT_LOOP_DELAY_MS: '20' } });
  t.equal((await app.inject('/index.json')).statusCode, 200, 'an idle loop serves');
  // 3 s of synchronous work: whichever one-second sample holds it, its mean delay is far over 20 ms
  const end = Date.now() + 3_000;
  while (Date.now() < end);
  const shed = await until(app, '/index.json', 503, 3_000);
  t.match(shed.json(), { error: { code: 'SERVER_BUSY', description: /event-loop delay \d+ ms/ } });
  t.equal(shed.headers['retry-after'], '10');
  t.equal((await app.inject('/health')).statusCode, 200, '/health answers meanwhile');
  await until(app, '/index.json', 200, 5_000);
  t.pass('serving again once the loop is idle');
});
