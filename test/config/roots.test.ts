// isWithinRoots: server-path confinement by whole path segments.
import path from 'node:path';
import t from 'tap';
import { isWithinRoots } from '@digits-ts/config';

const ROOTS = ['/data', '/srv/images/'];

const TABLE: Array<[string, readonly string[], boolean, string]> = [
  ['/data', ROOTS, true, 'the root itself'],
  ['/data/', ROOTS, true, 'the root with a trailing slash'],
  ['/data/mnist', ROOTS, true, 'a child'],
  ['/data/mnist/train/0/a.png', ROOTS, true, 'a deep child'],
  ['/srv/images', ROOTS, true, 'a root given with a trailing slash'],
  ['/srv/images/x.png', ROOTS, true, 'below the second root'],
  ['/data2', ROOTS, false, 'sibling with the root as prefix'],
  ['/data2/x', ROOTS, false, 'below a sibling with the root as prefix'],
  ['/dat', ROOTS, false, 'a prefix of the root'],
  ['/', ROOTS, false, 'the filesystem root'],
  ['/srv', ROOTS, false, 'a parent of a root'],
  ['/srv/images2/x', ROOTS, false, 'sibling of the second root'],
  ['/etc/passwd', ROOTS, false, 'elsewhere'],
  ['/data/../etc/passwd', ROOTS, false, '.. climbing out'],
  ['/data/mnist/../../etc', ROOTS, false, '.. climbing out from deeper'],
  ['/data/mnist/../train', ROOTS, true, '.. staying inside'],
  ['/data/./mnist', ROOTS, true, '. segment'],
  ['/data//mnist', ROOTS, true, 'double slash'],
  ['/other/../data/x', ROOTS, true, '.. climbing into a root'],
  ['/data/x', [], false, 'no roots allow nothing'],
  ['/anything', ['/'], true, 'root / allows everything'],
  ['/data/x', ['/data/../data'], true, 'a root with .. is normalised too'],
];

t.test('isWithinRoots', async (t) => {
  for (const [target, roots, expected, why] of TABLE) t.equal(isWithinRoots(target, roots), expected, `${why}: ${target} in ${JSON.stringify(roots)}`);
});

t.test('agrees with path.resolve for normalised targets', async (t) => {
  for (const target of ['/data/a/../../data2', '/data/a/b/../c', '/data/..']) {
    const resolved = path.resolve(target);
    t.equal(isWithinRoots(target, ROOTS), isWithinRoots(resolved, ROOTS), `${target} ~ ${resolved}`);
  }
});

// A file or folder whose name merely starts with ".." lies inside the root; path.relative gives
// "..foo", which a bare startsWith('..') test would take for a climb out.
t.test('names beginning with ".." inside a root', async (t) => {
  t.equal(isWithinRoots('/data/..foo', ROOTS), true, '/data/..foo');
  t.equal(isWithinRoots('/data/...', ROOTS), true, '/data/...');
  t.equal(isWithinRoots('/data/..hidden/x.png', ROOTS), true, '/data/..hidden/x.png');
});
