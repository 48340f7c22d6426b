/**
 * Model downloads (contract §11.4): a flat archive of the chosen snapshot in TF.js layers format
 * (`model.json` + `weights.bin`), `labels.txt`, the mean (`mean.binaryproto` and `mean.json`),
 * `network.json` and `info.json` — enough to run the model with plain `tf.loadLayersModel`.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { pipeline, PassThrough, type Readable } from 'node:stream';
import { createGzip } from 'node:zlib';
import tar from 'tar-stream';
import yazl from 'yazl';
import { bzip2Stream } from './bzip2.ts';

export const ARCHIVE_TYPES = {
  'tar.gz': 'application/gzip', tgz: 'application/gzip', tar: 'application/x-tar', 'tar.bz2': 'application/x-bzip2', zip: 'application/zip',
} as const;
export type ArchiveType = keyof typeof ARCHIVE_TYPES;

export interface ArchiveMember { name: string; data: Buffer }

/** Reads the members that exist: `files` maps member names to absolute paths. */
export async function readMembers(files: Record<string, string>): Promise<ArchiveMember[]> {
  const members: ArchiveMember[] = [];
  for (const [name, file] of Object.entries(files)) {
    const data = await fs.readFile(file).catch(() => null);
    if (data) members.push({ name: path.basename(name), data });
  }
  return members;
}

/**
 * A stream of the archive holding `members`. Built with `pipeline`, so a client that hangs up
 * mid-download tears the whole chain down quietly instead of leaving an unhandled stream error.
 * `tar.bz2` rejects (ARCHIVE_FORMAT_UNAVAILABLE) when the system's bzip2 cannot be started.
 */
export async function archiveStream(type: ArchiveType, members: ArchiveMember[]): Promise<Readable> {
  if (type === 'tar.bz2') return bzip2Stream(tarStream(members));
  const out = type === 'tar' || type === 'zip' ? new PassThrough() : createGzip();
  let source: Readable;
  if (type === 'zip') {
    const zip = new yazl.ZipFile();
    for (const m of members) zip.addBuffer(m.data, m.name, { mtime: new Date() });
    zip.end();
    source = zip.outputStream as Readable;
  } else {
    source = tarStream(members);
  }
  pipeline(source, out, () => {
    // errors here are hang-ups (or already reported to the client by the stream); nothing to do
  });
  return out;
}

/** The members as an uncompressed tar stream. */
function tarStream(members: ArchiveMember[]): Readable {
  const pack = tar.pack();
  for (const m of members) pack.entry({ name: m.name, size: m.data.length, mode: 0o644, mtime: new Date() }, m.data);
  pack.finalize();
  return pack as unknown as Readable; // a streamx stream; pipeline handles it
}
