/**
 * `GET /autocomplete/path?query=<p>` (contract §5.6), in the contract's safe form: a logged-in
 * user, the query a literal prefix (no glob), only entries inside DATA_ROOTS after symlinks are
 * resolved (anything else gives the empty list, so nothing outside is revealed, not even whether
 * it exists), at most MAX_SUGGESTIONS of them.
 */
import type { Dirent } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { isWithinRoots } from '@digits-ts/config';
import { requireUsername } from '../plugins/identity.ts';
import { realRoots } from '../server-paths.ts';

/** The most suggestions one answer holds (DIGITS has no cap; a huge folder would be one huge answer). */
export const MAX_SUGGESTIONS = 100;

const Suggestions = Type.Object({ suggestions: Type.Array(Type.String()) });

/** Python's sort of str: by code point (UTF-8 byte order is the same), not by UTF-16 unit. */
const byCodePoint = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b));

/** `query` split into the folder to list and the prefix its entries must start with. */
function splitQuery(query: string): { dir: string; prefix: string } {
  const absolute = query.startsWith('/') ? query : `/${query}`;
  const cut = absolute.lastIndexOf('/');
  // path.resolve drops `.`, `..` and doubled slashes lexically, as DIGITS' normpath does
  return { dir: path.resolve(absolute.slice(0, cut + 1)), prefix: absolute.slice(cut + 1) };
}

/** Whether a listed entry of a folder inside the roots still leads inside them (a symlink may not). */
async function leadsInside(dir: string, entry: Dirent, real: readonly string[]): Promise<boolean> {
  if (!entry.isSymbolicLink()) return true;
  const target = await fs.realpath(path.join(dir, entry.name)).catch(() => null);
  return target !== null && isWithinRoots(target, real);
}

/** The entries of `dir` starting with `prefix`, sorted, when `dir` is a folder inside the roots. */
async function listed(dir: string, prefix: string, roots: readonly string[], real: readonly string[]): Promise<string[]> {
  // lexically first, so nothing outside the roots is even stat-ed; then after symlinks
  if (!isWithinRoots(dir, roots)) return [];
  const realDir = await fs.realpath(dir).catch(() => null);
  if (realDir === null || !isWithinRoots(realDir, real)) return [];
  const entries = await fs.readdir(realDir, { withFileTypes: true }).catch(() => [] as Dirent[]);
  // dot-files only when the prefix asks for them, as glob does
  const matching = entries.filter((e) => e.name.startsWith(prefix) && (prefix.startsWith('.') || !e.name.startsWith('.')));
  matching.sort((a, b) => byCodePoint(a.name, b.name));
  const kept: string[] = [];
  for (const entry of matching) {
    if (kept.length >= MAX_SUGGESTIONS) break;
    if (await leadsInside(realDir, entry, real)) kept.push(path.join(dir, entry.name));
  }
  return kept;
}

/** Suggestions for `query`: the listed folder's entries, and the roots themselves that start with it. */
export async function suggestPaths(query: string, roots: readonly string[]): Promise<string[]> {
  if (query.includes('\0') || roots.length === 0) return [];
  const real = await realRoots(roots);
  const { dir, prefix } = splitQuery(query);
  const typed = dir === '/' ? `/${prefix}` : `${dir}/${prefix}`;
  // a root lies inside itself: offered (when it exists) while the query is still a prefix of it
  const rootMatches = await Promise.all(roots.map(async (root) => (root.startsWith(typed) && (await fs.realpath(root).then(() => true, () => false)) ? root : null)));
  const all = new Set([...(await listed(dir, prefix, roots, real)), ...rootMatches.filter((r): r is string => r !== null)]);
  return [...all].sort(byCodePoint).slice(0, MAX_SUGGESTIONS);
}

export async function autocompleteRoutes(app: FastifyInstance): Promise<void> {
  const roots = app.services.config.dataRoots;
  const schema = {
    summary: 'Path completion inside DATA_ROOTS for a logged-in user (§5.6, safe form)', tags: ['jobs'],
    // left open: `username` (DIGITS' login arg) may come along too
    querystring: Type.Object({ query: Type.Optional(Type.String()) }),
    response: { 200: Suggestions },
  };
  app.get('/autocomplete/path', { schema }, async (request: FastifyRequest<{ Querystring: { query?: string } }>) => {
    requireUsername(request, null);
    return { suggestions: await suggestPaths(request.query.query ?? '', roots) };
  });
}
