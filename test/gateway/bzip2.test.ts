// bzip2Stream: the system's bzip2 streamed (what .tar.bz2 downloads use), checked with bzip2 -d.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { Readable } from 'node:stream';
import t from 'tap';
import { bzip2Stream } from '../../apps/gateway/src/bzip2.ts';

async function collect(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

t.test('compresses a stream larger than the pipes hold; bzip2 -d gives it back', async (t) => {
  // 4 MiB of half random, half repeated bytes: many pipe buffers each way, so back-pressure runs
  const data = Buffer.concat(Array.from({ length: 64 }, (_, i) => (i % 2 === 0 ? randomBytes(32 * 1024) : Buffer.alloc(32 * 1024, i))));
  const source = Readable.from((function* () {
    for (let at = 0; at < data.length; at += 16 * 1024) yield data.subarray(at, at + 16 * 1024);
  })());
  const compressed = await collect(await bzip2Stream(source));
  t.equal(compressed.subarray(0, 3).toString(), 'BZh', 'a bzip2 stream');
  t.ok(compressed.length < data.length, `${data.length} → ${compressed.length} bytes`);
  const back = spawnSync('bzip2', ['-dc'], { input: compressed, maxBuffer: 64 * 1024 * 1024 });
  t.equal(back.status, 0);
  t.ok(back.stdout.equals(data), 'decompresses to the same bytes');
});

t.test('a reader that goes away stops bzip2 and the source', async (t) => {
  const source = new Readable({ read() { this.push(randomBytes(64 * 1024)); } }); // never ends
  const out = await bzip2Stream(source);
  await once(out, 'readable');
  // (the source ends with the broken pipe's error: once() would reject on it, so 'close' by hand)
  const closed = new Promise((resolve) => source.on('close', resolve));
  out.destroy();
  await closed;
  t.ok(source.destroyed, 'the endless source was torn down once bzip2 was killed');
});

t.test('no bzip2 program: a clear 501 error, and the source is released', async (t) => {
  const source = Readable.from([Buffer.from('x')]);
  await t.rejects(bzip2Stream(source, 'digits-ts-no-such-bzip2'), { code: 'ARCHIVE_FORMAT_UNAVAILABLE', statusCode: 501, message: /install bzip2.*\.tar\.gz/ });
  t.ok(source.destroyed);
});
