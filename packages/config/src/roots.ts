/**
 * Path confinement against DATA_ROOTS, pure: is an absolute path inside one of the roots? Here
 * beside the DATA_ROOTS it checks against (both apps load it from this package), not in
 * contracts, because it leans on node:path's normalisation and contracts stays free of node:*.
 */
import path from 'node:path';

/** True when `target` equals a root or lies below one (compared by whole path segments). */
export function isWithinRoots(target: string, roots: readonly string[]): boolean {
  return roots.some((root) => {
    const relative = path.relative(root, target);
    return relative === '' || (relative !== '..' && !relative.startsWith(`..${path.sep}`) && !path.isAbsolute(relative));
  });
}

/**
 * The name of the folder of JOBS_DIR that `target` lies strictly below (`<jobsDir>/<name>/…`),
 * or null when it lies elsewhere, is a job folder itself, or JOBS_DIR. The caller decides
 * whether that name is a job, and of which kind (infer_db reads a dataset's own DBs, §10.5).
 */
export function jobFolderOf(target: string, jobsDir: string): string | null {
  const relative = path.relative(jobsDir, target);
  if (relative === '' || relative === '..' || relative.startsWith(`..${path.sep}`) || path.isAbsolute(relative)) return null;
  const [name, ...below] = relative.split(path.sep);
  return below.length > 0 ? name! : null;
}
