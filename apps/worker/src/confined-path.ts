/** A server path resolved here and checked against the roots again: the worker trusts no path it did not resolve itself. */
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
