/**
 * Reading an uploaded model archive (§4.4 upload_archive): tar (plain, gzip or bzip2) or zip, as
 * our download (§11.4) and DIGITS write them, into memory. Safe where DIGITS was not (§14): a
 * member name that is absolute or climbs out (`..`) refuses the whole archive, links and devices
 * are refused, and the members together may not unpack to more than `maxBytes` (a zip or gzip
 * bomb stops at the limit). Nothing is written to disk here.
 */
import { spawn } from 'node:child_process';
import { Readable } from 'node:stream';
import zlib from 'node:zlib';
import tar from 'tar-stream';
import yauzl from 'yauzl';
import { Errors } from '@digits-ts/contracts';

/** Member path (normalised: no `./`, forward slashes) → bytes; folders are not members. */
export type ArchiveFiles = Map<string, Buffer>;

const invalid = (message: string) => Errors.ARCHIVE_INVALID(message);

/** The member's path made relative and plain, or a refusal for a name that could leave the folder. */
function memberPath(raw: string): string {
  const name = raw.replace(/\\/g, '/');
  const parts = name.split('/').filter((p) => p !== '' && p !== '.');
  if (name.startsWith('/') || /^[A-Za-z]:/.test(name) || parts.includes('..') || name.includes('\0')) {
    throw invalid(`the archive member ${JSON.stringify(raw)} has an unsafe path (absolute or with ..); nothing was imported`);
  }
  return parts.join('/');
}

/** Collects members, keeping their sum under `maxBytes`. */
class Collector {
  readonly files: ArchiveFiles = new Map();
  private total = 0;
  constructor(private readonly maxBytes: number) {}
  room(): number {
    return this.maxBytes - this.total;
  }
  add(raw: string, data: Buffer): void {
    const name = memberPath(raw);
    this.total += data.length;
    if (this.total > this.maxBytes) throw tooLarge(this.maxBytes);
    if (name !== '') this.files.set(name, data);
  }
}

const tooLarge = (maxBytes: number) => Errors.UPLOAD_TOO_LARGE(`the archive unpacks to more than ${maxBytes} bytes (UPLOAD_MAX_BYTES)`);

/**
 * Reads every member; the first problem is kept and thrown once the tar has been read through
 * (the members after it are drained unread), so no stream is left erroring with no listener.
 */
async function readTar(data: Buffer, out: Collector): Promise<void> {
  const extract = tar.extract();
  let failure: unknown = null;
  const done = new Promise<void>((resolve, reject) => {
    extract.on('entry', (header, stream, next) => {
      const chunks: Buffer[] = [];
      let size = 0;
      stream.on('error', () => {}); // the extract's own error reports it
      if (failure === null) {
        // contiguous-file holds bytes too; links and devices never belong in a model
        if (!['file', 'contiguous-file', 'directory'].includes(header.type ?? 'file')) failure = invalid(`the archive member ${JSON.stringify(header.name)} is a ${header.type}; only files are imported`);
        else {
          try {
            memberPath(header.name);
          } catch (err) {
            failure = err;
          }
        }
      }
      stream.on('data', (piece: unknown) => {
        if (failure !== null) return;
        const chunk = piece as Buffer;
        size += chunk.length;
        if (size > out.room()) failure = tooLarge(out.room());
        else chunks.push(chunk);
      });
      stream.on('end', () => {
        if (failure === null && header.type !== 'directory') {
          try {
            out.add(header.name, Buffer.concat(chunks));
          } catch (err) {
            failure = err;
          }
        }
        next();
      });
      stream.resume();
    });
    extract.on('finish', resolve);
    extract.on('error', reject);
  });
  extract.end(data);
  try {
    await done;
  } catch (err) {
    throw invalid(`the archive could not be read as tar: ${(err as Error).message}`);
  }
  if (failure !== null) throw failure;
}

/** The system's bzip2 (as for downloads), its output capped at `maxBytes`. */
function bunzip2(data: Buffer, maxBytes: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const child = spawn('bzip2', ['-d', '-c'], { stdio: ['pipe', 'pipe', 'ignore'] });
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const settle = (err: unknown, value?: Buffer) => {
      if (settled) return;
      settled = true;
      if (child.exitCode === null) child.kill('SIGKILL');
      if (err) reject(err);
      else resolve(value!);
    };
    child.on('error', (err) => settle(Errors.ARCHIVE_FORMAT_UNAVAILABLE(`this server cannot read .tar.bz2: its "bzip2" program could not be started (${err.message})`, { cause: err })));
    child.stdout.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) return settle(tooLarge(maxBytes));
      chunks.push(chunk);
    });
    child.on('close', (code) => settle(code === 0 ? null : invalid('the archive is not valid bzip2 data'), Buffer.concat(chunks)));
    child.stdin.on('error', () => {}); // bzip2 stops reading at bad data; its exit code says so
    child.stdin.end(data);
  });
}

function gunzip(data: Buffer, maxBytes: number): Buffer {
  try {
    return zlib.gunzipSync(data, { maxOutputLength: maxBytes });
  } catch (err) {
    if ((err as { code?: unknown }).code === 'ERR_BUFFER_TOO_LARGE') throw tooLarge(maxBytes);
    throw invalid(`the archive is not valid gzip data: ${(err as Error).message}`);
  }
}

/** A yauzl callback as a promise. */
function settled<T>(call: (done: (err: Error | null, value?: T) => void) => void): Promise<T> {
  return new Promise((resolve, reject) => call((err, value) => (err ? reject(err) : resolve(value as T))));
}

/**
 * A zip's members, stored (as our downloads) or deflated, read with yauzl. Names are decoded
 * here (not by yauzl) so an unsafe one gets the same refusal as in a tar; each member's declared
 * size is checked against the room left before it is inflated, and yauzl checks the bytes
 * against that declaration.
 */
async function readZip(data: Buffer, out: Collector): Promise<void> {
  const damaged = (err: unknown) => invalid(`the zip archive is damaged: ${(err as Error).message}`);
  const zip = await settled<yauzl.ZipFile>((done) => yauzl.fromBuffer(data, { lazyEntries: true, decodeStrings: false }, done)).catch((err: unknown) => {
    throw damaged(err);
  });
  try {
    for (;;) {
      const entry = await new Promise<yauzl.Entry | null>((resolve, reject) => {
        zip.once('entry', resolve).once('end', () => resolve(null)).once('error', reject);
        zip.readEntry();
      }).catch((err: unknown) => {
        throw damaged(err);
      });
      zip.removeAllListeners();
      if (!entry) return;
      const name = (entry.fileName as unknown as Buffer).toString('utf8');
      // a Unix symlink (S_IFLNK in the high bits of the external attributes) never belongs in a model
      if (((entry.externalFileAttributes >>> 16) & 0o170000) === 0o120000) throw invalid(`the archive member ${JSON.stringify(name)} is a symlink; only files are imported`);
      if (name.endsWith('/')) {
        memberPath(name);
        continue;
      }
      if (entry.uncompressedSize > out.room()) throw tooLarge(out.room());
      const stream = await settled<Readable>((done) => zip.openReadStream(entry, done)).catch((err: unknown) => {
        throw invalid(`the zip member ${JSON.stringify(name)} cannot be read: ${(err as Error).message}`);
      });
      const chunks: Buffer[] = [];
      try {
        for await (const chunk of stream) chunks.push(chunk as Buffer);
      } catch (err) {
        throw invalid(`the zip member ${JSON.stringify(name)} does not inflate: ${(err as Error).message}`);
      }
      out.add(name, Buffer.concat(chunks));
    }
  } finally {
    zip.close();
  }
}

/** The files of `data`, told apart by its first bytes: zip, gzip, bzip2, else tar. */
export async function readArchive(data: Buffer, maxBytes: number): Promise<ArchiveFiles> {
  const out = new Collector(maxBytes);
  if (data.subarray(0, 4).equals(Buffer.from([0x50, 0x4b, 0x03, 0x04])) || data.subarray(0, 4).equals(Buffer.from([0x50, 0x4b, 0x05, 0x06]))) {
    await readZip(data, out);
  } else if (data[0] === 0x1f && data[1] === 0x8b) {
    await readTar(gunzip(data, maxBytes), out);
  } else if (data.subarray(0, 3).toString('latin1') === 'BZh') {
    await readTar(await bunzip2(data, maxBytes), out);
  } else if (data.length >= 512 && data.subarray(257, 262).toString('latin1') === 'ustar') {
    await readTar(data, out);
  } else {
    throw invalid('the upload is not a tar, tar.gz, tar.bz2 or zip archive');
  }
  return out.files;
}
