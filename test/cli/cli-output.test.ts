// What the CLI reads and prints, without a server: the Server-Sent Events reader `follow` uses,
// the per-line reasons of a refused list, a dataset's progress bar, and the list commands' words.
import t from 'tap';
import { splitCommand } from '../../apps/cli/src/args.ts';
import { describeRefusal, lineErrors } from '../../apps/cli/src/client.ts';
import { renderUpdate, type JobUpdate } from '../../apps/cli/src/follow.ts';
import { COMMANDS } from '../../apps/cli/src/main.ts';
import { sseMessages } from '../../apps/cli/src/sse.ts';

/** The text cut into the given pieces, as bytes arriving from a socket. */
async function* chunks(...pieces: string[]): AsyncGenerator<Uint8Array> {
  for (const piece of pieces) yield new TextEncoder().encode(piece);
}

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

t.test('sseMessages reads events however the bytes are cut', async (t) => {
  const text = ': keep-alive\n\nevent: status\ndata: {"status":"Running"}\n\nevent: progress\r\ndata: {"progress":0.5}\r\n\r\ndata: a\ndata: b\n\nevent: half';
  const whole = await collect(sseMessages(chunks(text)));
  t.same(whole, [
    { event: 'status', data: '{"status":"Running"}' },
    { event: 'progress', data: '{"progress":0.5}' },
    { event: 'message', data: 'a\nb' },
  ], 'comments skipped, CRLF read, data lines joined, an unfinished event not sent');
  const bytes = new TextEncoder().encode(text);
  // one byte at a time (a line end split between \r and \n included), and a multi-byte character cut in two
  t.same(await collect(sseMessages((async function* () { for (const b of bytes) yield Uint8Array.of(b); })())), whole);
  const euro = new TextEncoder().encode('data: 5 €\n\n');
  t.same(await collect(sseMessages((async function* () { yield euro.subarray(0, 9); yield euro.subarray(9); })())), [{ event: 'message', data: '5 €' }]);
});

t.test("a refused list names each line's reason", async (t) => {
  const body = {
    error: {
      message: '400: Bad Request', type: 'BadRequest', description: 'Unable to classify any image from the file', code: 'BAD_REQUEST',
      details: { errors: { '/home/me/a.png': { code: 'PATH_NOT_ALLOWED', message: '"/home/me/a.png" is outside DATA_ROOTS' }, '/data/b.png': { code: 'IMAGE_UNREADABLE', message: 'not an image' } } },
    },
  };
  t.same(lineErrors(body).map(([source, e]) => [source, e.code]), [['/home/me/a.png', 'PATH_NOT_ALLOWED'], ['/data/b.png', 'IMAGE_UNREADABLE']]);
  t.equal(describeRefusal(400, JSON.stringify(body)).message, [
    'Unable to classify any image from the file (400 BAD_REQUEST)',
    '  /home/me/a.png: "/home/me/a.png" is outside DATA_ROOTS [PATH_NOT_ALLOWED]',
    '  /data/b.png: not an image [IMAGE_UNREADABLE]',
  ].join('\n'));
  t.same(lineErrors({ error: { description: 'x' } }), [], 'an error without details has no lines');
  t.same(lineErrors('<html>'), []);
});

t.test('a dataset shows a progress bar while it builds', async (t) => {
  const dataset: JobUpdate = { id: '20260101-000000-abcd', name: 'mnist', type: 'Image Classification Dataset', kind: 'dataset', status: 'Running', progress: 0.25, epoch: null, trainLoss: null, valLoss: null, valAccuracy: null, detail: null };
  t.equal(renderUpdate(dataset), 'mnist  [######------------------]  25%  Running');
});

t.test('dataset list and model list are commands beside jobs', async (t) => {
  t.same(splitCommand(['dataset', 'list', '--json']), { words: ['dataset', 'list'], rest: ['--json'] });
  t.same(splitCommand(['--server', 'http://x', 'model', 'list']), { words: ['model', 'list'], rest: ['--server', 'http://x'] });
  for (const key of ['jobs', 'dataset list', 'model list']) t.ok(COMMANDS[key], `${key} exists`);
});
