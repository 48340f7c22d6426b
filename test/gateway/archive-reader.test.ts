// readArchive: the archive kinds our download writes and DIGITS' (tar, tar.gz, tar.bz2, stored
// or deflated zip), and the refusals DIGITS lacked: unsafe names, links, bombs over the limit.
import { spawnSync } from 'node:child_process';
import zlib from 'node:zlib';
import t from 'tap';
import yazl from 'yazl';
import { readArchive } from '../../apps/gateway/src/archive-reader.ts';
import { tarOf, type ArchiveEntry as Entry } from '../helpers/archives.ts';

function zipOf(entries: Entry[], compress: boolean): Promise<Buffer> {
  const zip = new yazl.ZipFile();
  for (const e of entries) zip.addBuffer(Buffer.from(e.data ?? ''), e.name, { compress });
  zip.end();
  const chunks: Buffer[] = [];
  return new Promise((resolve, reject) => {
    zip.outputStream.on('data', (c: Buffer) => chunks.push(c));
    zip.outputStream.on('end', () => resolve(Buffer.concat(chunks)));
    zip.outputStream.on('error', reject);
  });
}

const MEMBERS: Entry[] = [{ name: 'info.json', data: '{"name": "m"}' }, { name: 'weights.bin', data: Buffer.alloc(3000, 7) }, { name: 'sub/labels.txt', data: 'a\nb\n' }];
const asObject = (files: Map<string, Buffer>) => Object.fromEntries([...files].map(([k, v]) => [k, v.toString('base64')]));
const expected = Object.fromEntries(MEMBERS.map((m) => [m.name, Buffer.from(m.data ?? '').toString('base64')]));

t.test('every kind our downloads and DIGITS write reads back to the same members', async (t) => {
  const plain = await tarOf([{ name: './', type: 'directory' }, ...MEMBERS.map((m) => ({ ...m, name: `./${m.name}` }))]);
  const kinds: [string, Buffer][] = [
    ['tar', plain],
    ['tar.gz', zlib.gzipSync(plain)],
    ['zip (stored)', await zipOf(MEMBERS, false)],
    ['zip (deflated)', await zipOf(MEMBERS, true)],
  ];
  const bzip2 = spawnSync('bzip2', ['-c'], { input: plain });
  if (bzip2.status === 0) kinds.push(['tar.bz2', bzip2.stdout]);
  else t.comment('tar.bz2 skipped: no bzip2 program');
  for (const [kind, data] of kinds) t.same(asObject(await readArchive(data, 1e6)), expected, kind);
});

t.test('unsafe names, links and non-archives are ARCHIVE_INVALID; bombs are UPLOAD_TOO_LARGE', async (t) => {
  const refused: [string, Promise<Buffer>, string, RegExp][] = [
    ['a ../ member', tarOf([{ name: 'ok.txt', data: 'x' }, { name: 'a/../../evil', data: 'x' }]), 'ARCHIVE_INVALID', /unsafe path/],
    ['an absolute member', tarOf([{ name: '/etc/evil', data: 'x' }]), 'ARCHIVE_INVALID', /unsafe path/],
    ['a symlink', tarOf([{ name: 'link', type: 'symlink' }]), 'ARCHIVE_INVALID', /is a symlink; only files/],
    ['a zip with ../', zipOf([{ name: 'fine.txt', data: 'x' }], false).then((z) => Buffer.from(z.toString('latin1').replaceAll('fine.txt', '../a.txt'), 'latin1')), 'ARCHIVE_INVALID', /unsafe path/],
    ['text', Promise.resolve(Buffer.from('not an archive')), 'ARCHIVE_INVALID', /not a tar/],
    ['a cut gzip', Promise.resolve(zlib.gzipSync(Buffer.alloc(5000)).subarray(0, 30)), 'ARCHIVE_INVALID', /not valid gzip/],
    ['a gzip bomb', tarOf([{ name: 'zeros', data: Buffer.alloc(2_000_000) }]).then((b) => zlib.gzipSync(b)), 'UPLOAD_TOO_LARGE', /more than 100000 bytes/],
    ['a zip bomb', zipOf([{ name: 'zeros', data: Buffer.alloc(2_000_000) }], true), 'UPLOAD_TOO_LARGE', /more than/],
    ['a tar over the limit', tarOf([{ name: 'a', data: Buffer.alloc(60_000) }, { name: 'b', data: Buffer.alloc(60_000) }]), 'UPLOAD_TOO_LARGE', /more than/],
  ];
  for (const [what, data, code, message] of refused) await t.rejects(readArchive(await data, 100_000), { code, message }, what);
});
