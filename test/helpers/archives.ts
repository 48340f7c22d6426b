/** Tar archives built in memory for the tests of archive uploads (names as given, unchecked, for hostile archives). */
import tar from 'tar-stream';

export type ArchiveEntry = { name: string; data?: string | Buffer; type?: 'file' | 'symlink' | 'directory'; linkname?: string };

/** A tar of `entries`, or of the files of a name → contents record; a symlink points at /etc/passwd unless told. */
export function tarOf(entries: ArchiveEntry[] | Record<string, string | Buffer>): Promise<Buffer> {
  const list: ArchiveEntry[] = Array.isArray(entries) ? entries : Object.entries(entries).map(([name, data]) => ({ name, data }));
  const pack = tar.pack();
  for (const e of list) {
    if (e.type === 'symlink') pack.entry({ name: e.name, type: 'symlink', linkname: e.linkname ?? '/etc/passwd' });
    else if (e.type === 'directory') pack.entry({ name: e.name, type: 'directory' });
    else pack.entry({ name: e.name }, Buffer.isBuffer(e.data) ? e.data : Buffer.from(e.data ?? ''));
  }
  pack.finalize();
  const chunks: Buffer[] = [];
  return new Promise((resolve, reject) => {
    pack.on('data', (c: unknown) => chunks.push(c as Buffer));
    pack.on('end', () => resolve(Buffer.concat(chunks)));
    pack.on('error', reject);
  });
}
