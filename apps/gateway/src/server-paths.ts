/**
 * Server paths named in forms must lie inside DATA_ROOTS (contract §14: DIGITS read any path
 * with the server's privileges). Checked lexically first, so nothing outside the roots is even
 * stat-ed, then again after resolving symlinks.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { Errors } from '@digits-ts/contracts';
import type { JobStore } from '@digits-ts/queue';
import type { FormErrors, ServerPath } from './forms/index.ts';
import { isWithinRoots } from '@digits-ts/config';
import { FormError } from './plugins/errors.ts';

/** DATA_ROOTS resolved through symlinks (roots that do not exist are left out). */
export async function realRoots(roots: readonly string[]): Promise<string[]> {
  const resolved = await Promise.all(roots.map((root) => fs.realpath(root).catch(() => null)));
  return resolved.filter((r): r is string => r !== null);
}

async function problemWith(entry: ServerPath, roots: readonly string[], real: readonly string[]): Promise<[string, boolean] | null> {
  const outside: [string, boolean] = [`"${entry.path}" is outside the folders listed in DATA_ROOTS${roots.length === 0 ? ' (DATA_ROOTS is empty: set it to the folders that hold your images)' : ''}`, true];
  if (!path.isAbsolute(entry.path)) return ['Filesystem path is not absolute', false];
  if (!isWithinRoots(path.resolve(entry.path), roots)) return outside;
  const missing: [string, boolean] = [entry.missing ?? (entry.kind === 'dir' ? 'Folder does not exist' : 'File does not exist'), false];
  let resolved: string;
  try {
    resolved = await fs.realpath(entry.path);
  } catch {
    return missing;
  }
  if (!isWithinRoots(resolved, real)) return outside;
  const stat = await fs.stat(resolved);
  if (entry.kind === 'dir' && !stat.isDirectory()) return missing;
  if (entry.kind === 'file' && !stat.isFile()) return missing;
  return null;
}

/** Throws a FormError (code PATH_NOT_ALLOWED when any path escapes the roots) for bad paths. */
export async function checkServerPaths(paths: readonly ServerPath[], roots: readonly string[]): Promise<void> {
  if (paths.length === 0) return;
  const real = await realRoots(roots);
  const errors: FormErrors = {};
  let confinement = false;
  for (const entry of paths) {
    const problem = await problemWith(entry, roots, real);
    if (!problem) continue;
    (errors[entry.field] ??= []).push(problem[0]);
    confinement ||= problem[1];
  }
  if (Object.keys(errors).length > 0) throw new FormError(errors, confinement ? Errors.PATH_NOT_ALLOWED.code : Errors.VALIDATION_FAILED.code);
}

/**
 * infer_db's other allowed place (§10.5): a `db_path` below a dataset job's own folder, which
 * is outside DATA_ROOTS. Its real path when it is one and resolves (symlinks followed) below a
 * dataset's folder still; 'missing' when it does not exist or is no folder; null when the path
 * is not below a dataset's folder (then DATA_ROOTS decide). Checked lexically first, so a path
 * elsewhere in JOBS_DIR (a model's files, the uploads, the session key) is never stat-ed.
 */
export async function datasetDbPath(store: JobStore, jobsDir: string, dbPath: string): Promise<string | 'missing' | null> {
  if (!path.isAbsolute(dbPath) || dbPath.includes('\0')) return null;
  if (!(await store.holdsDataset(path.resolve(dbPath), jobsDir))) return null;
  const real = await fs.realpath(dbPath).catch(() => null);
  if (real === null) return 'missing';
  const realJobs = await fs.realpath(jobsDir).catch(() => jobsDir);
  if (!(await store.holdsDataset(real, realJobs))) return null;
  return (await fs.stat(real)).isDirectory() ? real : 'missing';
}
