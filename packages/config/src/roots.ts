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
