/**
 * A server path resolved here and checked against the roots again: the worker trusts no path it
 * did not resolve itself. And read only when it is a regular file of a sane size.
 */
import fsSync, { constants as fsConstants } from 'node:fs';
import fs from 'node:fs/promises';
import { Errors, type AppError } from '@digits-ts/contracts';
import { isWithinRoots } from '@digits-ts/config';

/**
 * The real path of `p`, which must exist (else the error `missing` makes) and lie inside `roots` after following
 * symlinks (else PATH_NOT_ALLOWED). `label` names it in the message (what the client sent).
 */
export async function confinedRealPath(p: string, roots: readonly string[], missing: () => AppError, label = p): Promise<string> {
  const real = await fs.realpath(p).catch(() => null);
  if (!real) throw missing();
  if (!isWithinRoots(real, roots)) throw Errors.PATH_NOT_ALLOWED(`"${label}" is outside DATA_ROOTS`);
  return real;
}

/** Largest image file worth reading for a pixel cap: 8 bytes a pixel (16-bit RGBA, uncompressed) plus headers. */
function maxImageBytes(maxPixels: number): number {
  return maxPixels * 8 + 1024 * 1024;
}

/**
 * Refuses, before any read, what is no image file: not a regular file (`unreadable`'s error), or
 * more bytes than an image of at most `maxPixels` can take (IMAGE_TOO_LARGE). A FIFO would block
 * its reader for good, a device would never end, a folder fails or reads as garbage.
 */
function checkImageFile(stat: { isFile(): boolean; size: number }, maxPixels: number, label: string, unreadable: (why: string) => AppError): void {
  if (!stat.isFile()) throw unreadable('is not a regular file');
  if (stat.size > maxImageBytes(maxPixels)) throw Errors.IMAGE_TOO_LARGE(`${label} is ${stat.size} bytes, too large for an image of at most ${maxPixels} pixels`);
}

/**
 * The bytes of the image file at `real`, opened non-blocking and checked by checkImageFile: a
 * FIFO inside DATA_ROOTS would otherwise hold a libuv thread for good (four of them stop every
 * file read of the process). A file that cannot be opened is `unreadable`'s error too.
 */
export async function readImageFile(real: string, maxPixels: number, label: string, unreadable: (why: string) => AppError): Promise<Buffer> {
  let handle: fs.FileHandle;
  try {
    handle = await fs.open(real, fsConstants.O_RDONLY | fsConstants.O_NONBLOCK);
  } catch (err) {
    throw unreadable((err as NodeJS.ErrnoException).code ?? 'cannot be opened');
  }
  try {
    checkImageFile(await handle.stat(), maxPixels, label, unreadable);
    return await handle.readFile();
  } finally {
    await handle.close();
  }
}

/**
 * readImageFile for the dataset builder's threads, which read synchronously (each runs one
 * pipeline at a time). Open errors are thrown as they are: the caller maps ENOENT and the rest.
 */
export function readImageFileSync(file: string, maxPixels: number, label: string, unreadable: (why: string) => AppError): Buffer {
  const fd = fsSync.openSync(file, fsConstants.O_RDONLY | fsConstants.O_NONBLOCK);
  try {
    checkImageFile(fsSync.fstatSync(fd), maxPixels, label, unreadable);
    return fsSync.readFileSync(fd);
  } finally {
    fsSync.closeSync(fd);
  }
}
