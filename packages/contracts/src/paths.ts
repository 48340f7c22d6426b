/** Path confinement, pure: is an absolute, already-resolved path inside one of the roots? */
import path from 'node:path';

/** True when `target` equals a root or lies below one (compared by whole path segments). */
export function isWithinRoots(target: string, roots: readonly string[]): boolean {
  return roots.some((root) => {
    const relative = path.relative(root, target);
    return relative === '' || (relative !== '..' && !relative.startsWith(`..${path.sep}`) && !path.isAbsolute(relative));
  });
}
