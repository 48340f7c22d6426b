/**
 * A server path resolved here and checked against the roots again: the worker trusts no path it
 * did not resolve itself. And read only when it is a regular file of a sane size.
 */
import { constants as fsConstants } from 'node:fs';
import fs from 'node:fs/promises';
import { Errors, isWithinRoots, type AppError } from '@digits-ts/contracts';

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

/**
 * The bytes of the regular file at `real` (at most `maxBytes`, else IMAGE_TOO_LARGE). The file
 * is opened non-blocking and checked before any read: a FIFO inside DATA_ROOTS would otherwise
 * block a libuv thread for good (four of them stop every file read of the process), and a device
 * or folder reads as garbage or fails. Anything unreadable is `unreadable`'s error.
 */
export async function readRegularFile(real: string, maxBytes: number, unreadable: (why: string) => AppError): Promise<Buffer> {
  let handle: fs.FileHandle;
  try {
    handle = await fs.open(real, fsConstants.O_RDONLY | fsConstants.O_NONBLOCK);
  } catch (err) {
    throw unreadable((err as NodeJS.ErrnoException).code ?? 'cannot be opened');
  }
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) throw unreadable('is not a regular file');
    if (stat.size > maxBytes) throw Errors.IMAGE_TOO_LARGE(`the file is ${stat.size} bytes, more than the ${maxBytes} an image within IMAGE_MAX_PIXELS can take`);
    return await handle.readFile();
  } finally {
    await handle.close();
  }
}

/** Largest image file worth reading for a pixel cap: 8 bytes a pixel (16-bit RGBA, uncompressed) plus headers. */
export function maxImageBytes(maxPixels: number): number {
  return maxPixels * 8 + 1024 * 1024;
}
