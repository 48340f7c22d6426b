// The CLI's pieces without a server: argument parsing, the cookie jar, error envelopes, and
// follow's rendering driven by a scripted update source (the seam an SSE source will use).
import fs from 'node:fs/promises';
import path from 'node:path';
import t from 'tap';
import { parseCommandArgs, splitCommand, UsageError } from '../../apps/cli/src/args.ts';
import { Client, describeRefusal } from '../../apps/cli/src/client.ts';
import type { Ctx } from '../../apps/cli/src/context.ts';
import { readSessionCookie, sessionCookieOf, writeSessionCookie } from '../../apps/cli/src/cookie-jar.ts';
import { followJob, type JobUpdate, type UpdateSource } from '../../apps/cli/src/follow.ts';

t.test('command words, global flags anywhere, form fields as --field-name value', async (t) => {
  t.same(splitCommand(['--server', 'http://h:1', '--json', 'dataset', 'create', '--name', 'x']), { words: ['dataset', 'create'], rest: ['--server', 'http://h:1', '--json', '--name', 'x'] });
  t.same(splitCommand(['status', 'ID', '--server=http://h']), { words: ['status'], rest: ['ID', '--server=http://h'] });
  const args = parseCommandArgs(['--name', 'n', '--resize-width', '28', '--folder_pct_val=10', '--json', '--learning-rate', '-1', '--textfile-labels-file', '@labels.txt'], { name: { type: 'string' } }, true);
  t.same(args.options, { name: 'n', json: true });
  t.same(args.fields, [['resize_width', '28'], ['folder_pct_val', '10'], ['learning_rate', '-1'], ['textfile_labels_file', '@labels.txt']]);
  t.same(parseCommandArgs(['ID', '-o', 'f.zip', '--epoch', '-1'], { output: { type: 'string', short: 'o' }, epoch: { type: 'string' } }, false), { positionals: ['ID'], options: { output: 'f.zip', epoch: '-1' }, fields: [] });
  t.throws(() => parseCommandArgs(['--bogus', 'x'], {}, false), new UsageError('unknown option --bogus'));
  t.throws(() => parseCommandArgs(['--resize-width'], {}, true), UsageError, 'a field needs a value');
  t.throws(() => parseCommandArgs(['--json=yes'], {}, false), UsageError, 'a flag takes none');
  t.throws(() => parseCommandArgs(['--name'], { name: { type: 'string' } }, false), UsageError);
});

t.test('the cookie jar: Netscape lines per host, private, forgettable', async (t) => {
  const jar = path.join(t.testdir(), 'sub', 'cookie');
  const a = new URL('http://127.0.0.1:5000');
  const b = new URL('https://digits.example:8443');
  t.equal(await readSessionCookie(jar, a), null, 'no file yet');
  await writeSessionCookie(jar, a, 'Fe26%3Babc');
  await writeSessionCookie(jar, b, 'other');
  t.equal(await readSessionCookie(jar, a), 'Fe26%3Babc');
  t.equal(await readSessionCookie(jar, b), 'other');
  t.match(await fs.readFile(jar, 'utf8'), /^# Netscape HTTP Cookie File\n[\s\S]*#HttpOnly_digits\.example\tFALSE\t\/\tTRUE\t0\tusername\tother\n/);
  t.equal((await fs.stat(jar)).mode & 0o777, 0o600);
  await writeSessionCookie(jar, a, null);
  t.equal(await readSessionCookie(jar, a), null);
  t.equal(await readSessionCookie(jar, b), 'other', 'other hosts are kept');
  t.equal(sessionCookieOf(['lang=en; Path=/', 'username=v%3Bw; Path=/; HttpOnly; SameSite=Lax']), 'v%3Bw');
  t.equal(sessionCookieOf(['lang=en']), null);
});

t.test('refusals read clearly, whatever envelope they come in', async (t) => {
  t.equal(describeRefusal(404, JSON.stringify({ error: { message: '404: Not Found', type: 'NotFound', description: 'Job not found', code: 'JOB_NOT_FOUND' } })).message, 'Job not found (404 JOB_NOT_FOUND)');
  t.match(describeRefusal(401, JSON.stringify({ error: { description: 'You must be logged in', code: 'LOGIN_REQUIRED' } })).message, /\n {2}log in first: digits-ts login <username>/);
  t.equal(describeRefusal(400, JSON.stringify({ errors: { dataset: ['Not a valid choice'], train_epochs: ['Number must be at least 1.'] }, code: 'VALIDATION_FAILED' })).message,
    'the server refused the form (400 VALIDATION_FAILED):\n  dataset: Not a valid choice\n  train_epochs: Number must be at least 1.');
  t.equal(describeRefusal(502, '<html><body><h1>Bad   Gateway</h1></body></html>').message, 'HTTP 502: Bad Gateway');
});

t.test('an API token (DIGITS_TOKEN) goes out as a Bearer header; token refusals say how to send one', async (t) => {
  const seen: Headers[] = [];
  const fetchFn = (async (_url: URL, init?: RequestInit) => {
    seen.push(new Headers(init?.headers));
    return new Response('{}', { status: 200 });
  }) as typeof fetch;
  await new Client(new URL('http://127.0.0.1:9'), null, fetchFn, 'dgt_abc').request('GET', '/index.json');
  await new Client(new URL('http://127.0.0.1:9'), null, fetchFn).request('GET', '/index.json');
  t.equal(seen[0]!.get('authorization'), 'Bearer dgt_abc');
  t.equal(seen[1]!.get('authorization'), null, 'none without a token');
  t.match(describeRefusal(401, JSON.stringify({ error: { description: 'This server requires an API token', code: 'AUTH_TOKEN_REQUIRED' } })).message, /\n {2}this server wants an API token: export DIGITS_TOKEN=<token>/);
});

/** A ctx whose stdout is (or is not) a terminal, recording what is written. */
function recordingCtx(tty: boolean) {
  const out = { stdout: '', stderr: '' };
  const ctx: Ctx = {
    client: new Client(new URL('http://127.0.0.1:9'), null),
    io: { stdout: { write: (s: string) => (out.stdout += s), isTTY: tty }, stderr: { write: (s: string) => (out.stderr += s) }, env: {}, cwd: '/' },
    json: false,
    cookieJar: '/nonexistent',
    out: (s) => void (out.stdout += `${s}\n`),
    err: (s) => void (out.stderr += `${s}\n`),
  };
  return { ctx, out };
}

const base: JobUpdate = { id: '20260101-000000-abcd', name: 'lenet', type: 'Image Classification Model', kind: 'model', status: 'Running', progress: 0, epoch: 0, trainLoss: null, valLoss: null, valAccuracy: null, detail: null };
const scripted = (updates: Partial<JobUpdate>[]): UpdateSource => async function* () {
  for (const u of updates) yield { ...base, ...u };
};

t.test('follow redraws one line on a terminal and ends with the job', async (t) => {
  const { ctx, out } = recordingCtx(true);
  const source = scripted([
    { progress: 0.5, epoch: 1, trainLoss: 0.51234, valLoss: 0.4, valAccuracy: 88.5 },
    { progress: 0.5, epoch: 1, trainLoss: 0.51234, valLoss: 0.4, valAccuracy: 88.5 },
    { status: 'Done', progress: 1, epoch: 2, trainLoss: 0.2, valLoss: 0.25, valAccuracy: 93.125, detail: { snapshots: [1, 2] } },
  ]);
  t.equal(await followJob(ctx, base.id, { intervalMs: 1, source }), 0);
  const frames = out.stdout.split('\r\x1b[2K').filter(Boolean);
  t.equal(frames.length, 2, 'an unchanged update is not redrawn');
  t.equal(frames[0], 'lenet  [############------------]  50%  Running  epoch 1  loss 0.5123  val_loss 0.4000  val_acc 88.50%');
  t.match(frames[1], /^lenet {2}\[#{24}\] 100% {2}Done {2}epoch 2 {2}loss 0\.2000 {2}val_loss 0\.2500 {2}val_acc 93\.13%\n {2}snapshots \(epochs\): 1, 2\n$/);
});

t.test('follow exits 1 with the job error when it fails', async (t) => {
  const { ctx, out } = recordingCtx(false);
  const source = scripted([{ progress: 0.1 }, { status: 'Error', progress: 0.1, detail: { error: { code: 'TRAINING_DIVERGED', message: 'Network outputted NaN for "loss" (train).' } } }]);
  t.equal(await followJob(ctx, base.id, { intervalMs: 1, source }), 1);
  t.equal(out.stdout.split('\n').filter(Boolean).length, 2, 'one line per change when not a terminal');
  t.equal(out.stderr, `error: job ${base.id} (lenet) ended Error: Network outputted NaN for "loss" (train). [TRAINING_DIVERGED]\n`);
});
