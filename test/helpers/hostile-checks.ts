/**
 * The invariants of the hostile-input property tests: every answer a 2xx/3xx or a 4xx in DIGITS'
 * envelope with a catalogued code, no hang, nothing written where it should not be. Plus the
 * runner that drives one fast-check property per route and prints what the cases got.
 */
import { appendFileSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import type { Test } from 'tap';
import type { FastifyInstance, FastifyRequest, LightMyRequestResponse } from 'fastify';
import { Errors } from '@digits-ts/contracts';
import { wantsJson } from '../../apps/gateway/src/plugins/negotiation.ts';
import type { HostileRequest } from './hostile.ts';
import { multipart } from './stack.ts';

/** The answer to `request`, or an error when none comes within `ms` (a hang is a failure too). */
export async function answerOf(app: FastifyInstance, request: HostileRequest, ms = 10_000): Promise<LightMyRequestResponse> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      if (process.env.HOSTILE_TRACE) appendFileSync(`${process.env.HOSTILE_TRACE}.hung`, `${JSON.stringify({ ...request, payload: request.payload === undefined ? null : Buffer.from(request.payload).toString('base64') })}\n`);
      reject(new Error(`no answer within ${ms} ms: ${request.method} ${request.url.slice(0, 200)} ${String(request.payload ?? '').slice(0, 300)}`));
    }, ms);
  });
  // HOSTILE_TRACE=<file>: each request is logged before it is sent, so a hung event loop names its culprit
  if (process.env.HOSTILE_TRACE) appendFileSync(process.env.HOSTILE_TRACE, `${JSON.stringify({ ...request, payload: String(request.payload ?? '').slice(0, 3000) })}\n`);
  try {
    return await Promise.race([app.inject(request), late]);
  } finally {
    clearTimeout(timer);
  }
}

/** What one answer told us, for the summary line. */
export interface Tally { cases: number; byStatus: Map<number, number>; byCode: Map<string, number> }

export function newTally(): Tally {
  return { cases: 0, byStatus: new Map(), byCode: new Map() };
}

export function describeTally(name: string, tally: Tally, ms: number): string {
  const statuses = [...tally.byStatus].sort(([a], [b]) => a - b).map(([s, n]) => `${s}×${n}`).join(' ');
  const codes = [...tally.byCode].sort(([, a], [, b]) => b - a).map(([c, n]) => `${c}×${n}`).join(' ');
  return `${name}: ${tally.cases} cases in ${(ms / 1000).toFixed(1)} s; status ${statuses}; codes ${codes}`;
}

const KNOWN_CODES = new Map(Object.values(Errors).map((e) => [e.code, e.statusCode]));

/** Whether the request wants JSON by DIGITS' rule (§1.1), decided by the gateway's own function. */
export function wantsJsonRequest(request: HostileRequest): boolean {
  return wantsJson({ url: request.url, headers: request.headers } as unknown as FastifyRequest);
}

/**
 * Throws (so fast-check shrinks the case) unless the answer is a 2xx/3xx, or a 4xx in DIGITS'
 * envelope with a catalogued `code` whose status it has.
 */
export function checkAnswer(request: HostileRequest, res: LightMyRequestResponse, tally: Tally): void {
  tally.cases++;
  tally.byStatus.set(res.statusCode, (tally.byStatus.get(res.statusCode) ?? 0) + 1);
  const where = `${request.method} ${request.url.slice(0, 200)} → ${res.statusCode}: ${res.body.slice(0, 400)}`;
  if (res.statusCode >= 500) throw new Error(`5xx answer: ${where}`);
  if (res.statusCode < 400) return;
  const contentType = String(res.headers['content-type']);
  if (!wantsJsonRequest(request) && !/application\/json/.test(contentType)) {
    if (!/text\/html/.test(contentType)) throw new Error(`a browser's 4xx is neither an HTML page nor DIGITS' JSON envelope: ${where}`);
    return;
  }
  let body: { error?: { message?: unknown; type?: unknown; description?: unknown; code?: unknown }; errors?: unknown; code?: unknown };
  try {
    body = res.json();
  } catch {
    throw new Error(`4xx without a JSON body: ${where}`);
  }
  const code = body.error ? body.error.code : body.code;
  if (body.error) {
    const { message, type, description } = body.error;
    if (typeof message !== 'string' || typeof type !== 'string' || typeof description !== 'string') throw new Error(`error envelope incomplete: ${where}`);
    if (/\n\s+at /.test(description)) throw new Error(`stack trace in the answer: ${where}`);
  } else if (typeof body.errors !== 'object' || body.errors === null) {
    throw new Error(`4xx without DIGITS' envelope: ${where}`);
  }
  if (typeof code !== 'string' || !KNOWN_CODES.has(code)) throw new Error(`4xx without a catalogued code: ${where}`);
  if (KNOWN_CODES.get(code) !== res.statusCode) throw new Error(`code ${code} answered with status ${res.statusCode}: ${where}`);
  // HOSTILE_DESCRIBE=1 tallies codes with their messages, to see how deep the cases get
  const key = process.env.HOSTILE_DESCRIBE ? `${code} "${String(body.error?.description ?? JSON.stringify(body.errors)).slice(0, 70)}"` : code;
  tally.byCode.set(key, (tally.byCode.get(key) ?? 0) + 1);
}

/** Every entry under `root` (symlinks not followed): relative path → type, size and mtime. */
export async function snapshotTree(root: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const walk = async (dir: string): Promise<void> => {
    const entries = await fs.readdir(dir, { withFileTypes: true }).catch(() => []);
    for (const entry of entries) {
      const full = path.join(dir, entry.name);
      const st = await fs.lstat(full).catch(() => null);
      if (!st) continue;
      const kind = st.isDirectory() ? 'dir' : st.isSymbolicLink() ? `link→${await fs.readlink(full)}` : st.isFile() ? `file:${st.size}:${st.mtimeMs}` : 'other';
      out.set(path.relative(root, full), kind);
      if (st.isDirectory()) await walk(full);
    }
  };
  await walk(root);
  return out;
}

/** Entries of `after` that are new or changed since `before`, outside the `allowed` prefixes. */
export function changedOutside(before: Map<string, string>, after: Map<string, string>, allowed: readonly string[]): string[] {
  const inAllowed = (p: string) => allowed.some((a) => p === a || p.startsWith(`${a}${path.sep}`));
  const changed: string[] = [];
  for (const [p, kind] of after) if (!inAllowed(p) && before.get(p) !== kind) changed.push(`${p} (${kind})`);
  for (const p of before.keys()) if (!inAllowed(p) && !after.has(p)) changed.push(`${p} (removed)`);
  return changed;
}


/** One route's property: requests to send and how many. */
export interface RouteCases { name: string; runs: number; arb: fc.Arbitrary<HostileRequest> }

const SEED = Number(process.env.HOSTILE_SEED ?? Math.floor(Math.random() * 2 ** 31));
const SCALE = Number(process.env.HOSTILE_RUNS ?? 1);
/** HOSTILE_COLLECT=1: keep going and list every distinct failure (for hunting bugs, not for CI). */
const COLLECT = process.env.HOSTILE_COLLECT === '1';

/**
 * Runs each route's property as a subtest; returns the number of cases. HOSTILE_SEED=<n>
 * replays a run, HOSTILE_RUNS=<factor> scales the case counts.
 */
export async function runRoutes(t: Test, label: string, app: FastifyInstance, routes: readonly RouteCases[], timeoutMs = 10_000): Promise<number> {
  const collected = new Map<string, number>();
  let total = 0;
  const started = Date.now();
  for (const route of routes) {
    await t.test(route.name, async (t) => {
      const tally = newTally();
      const begun = Date.now();
      await fc.assert(fc.asyncProperty(route.arb, async (request) => {
        try {
          checkAnswer(request, await answerOf(app, request, timeoutMs), tally);
        } catch (err) {
          if (!COLLECT) throw err;
          const key = (err as Error).message.replace(/(POST|GET|PUT|DELETE) (\S{0,60})\S*/, '$1 $2').slice(0, 300);
          collected.set(key, (collected.get(key) ?? 0) + 1);
        }
      }), { numRuns: Math.ceil(route.runs * SCALE), seed: SEED, endOnFailure: true });
      total += tally.cases;
      t.comment(describeTally(route.name, tally, Date.now() - begun));
      t.pass(`${tally.cases} cases`);
    });
  }
  for (const [failure, n] of collected) t.fail(`×${n}: ${failure}`);
  t.comment(`${label}: ${total} cases in ${((Date.now() - started) / 1000).toFixed(1)} s (seed ${SEED})`);
  return total;
}

/**
 * Points TMPDIR at a fresh folder of `t`'s own for the test, so that every file any layer
 * writes (multipart spills, worker temp files) can be accounted for; restored and removed after.
 */
export async function ownTmpdir(t: Test, name: string): Promise<string> {
  const realTmp = os.tmpdir();
  const tmp = await fs.mkdtemp(path.join(realTmp, `${name}-`));
  process.env.TMPDIR = tmp;
  t.teardown(async () => {
    process.env.TMPDIR = realTmp;
    await fs.rm(tmp, { recursive: true, force: true });
  });
  return tmp;
}

/** POSTs a create form as `cookie`'s user and returns the new job's id (throws on anything but 200). */
export async function createJob(app: FastifyInstance, cookie: string, url: string, fields: Record<string, string>): Promise<string> {
  const body = multipart(fields);
  const res = await app.inject({ method: 'POST', url, payload: body.payload, headers: { ...body.headers, cookie } });
  if (res.statusCode !== 200) throw new Error(`${url}: ${res.body}`);
  return (res.json() as { id: string }).id;
}
