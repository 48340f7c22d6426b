/**
 * DIGITS' identity (contract §2): the `username` arg, else the session cookie. The cookie is
 * named `username` as in DIGITS, but its value is an encrypted @fastify/secure-session.
 * With AUTH_MODE=token, identity comes only from an API token (token-auth.ts resolves it).
 */
import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import CsrfTokens from '@fastify/csrf';
import type { FastifyRequest } from 'fastify';
import { Errors, usernameProblem, type JobRecord } from '@digits-ts/contracts';
import { arg, type RequestForm } from './form.ts';

/** The session key: SESSION_KEY (hex or base64), else one generated once and kept in JOBS_DIR. */
export function loadSessionKey(configured: string, jobsDir: string): Buffer {
  if (configured) {
    const key = /^[0-9a-f]{64}$/i.test(configured) ? Buffer.from(configured, 'hex') : Buffer.from(configured, 'base64');
    if (key.length !== 32) throw new Error('SESSION_KEY must be 32 bytes, as 64 hex digits or base64');
    return key;
  }
  const file = path.join(jobsDir, '.session-key');
  fs.mkdirSync(jobsDir, { recursive: true });
  try {
    fs.writeFileSync(file, randomBytes(32), { flag: 'wx', mode: 0o600 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  return fs.readFileSync(file);
}

/** The username the session cookie holds, if any (what the pages show as logged in). */
export function sessionUsername(request: FastifyRequest): string | undefined {
  const fromSession = request.session?.get('username');
  return typeof fromSession === 'string' ? fromSession : undefined;
}

const csrfTokens = CsrfTokens();
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * A browser acting through the session cookie must show the page's CSRF token (form field or
 * header `x-csrf-token`), which @fastify/csrf-protection minted from the session's secret. curl
 * and scripts send neither Origin nor Sec-Fetch-Site, so DIGITS' cookie-jar scripts keep working;
 * a forged cross-site form cannot hide those headers.
 */
function checkCsrf(request: FastifyRequest, form: RequestForm | null): void {
  if (SAFE_METHODS.has(request.method)) return;
  if (request.headers.origin === undefined && request.headers['sec-fetch-site'] === undefined) return;
  const header = request.headers['x-csrf-token'];
  const token = (typeof header === 'string' ? header : undefined) ?? arg(request, form, '_csrf');
  const secret = request.session.get('_csrf');
  if (!secret || !token || !csrfTokens.verify(secret, token)) {
    throw Errors.CSRF_TOKEN_INVALID('This form has expired or did not come from this site: reload the page and send it again');
  }
}

/**
 * AUTH_MODE=token: the user of the request's live token (a bad token is a 401, never "nobody").
 * A `username` argument may only repeat that name: naming someone else is a 403, not a switch.
 */
function tokenUsername(request: FastifyRequest, form: RequestForm | null): string | undefined {
  const identity = request.tokenIdentity ?? { state: 'none' };
  if (identity.state === 'invalid') throw Errors.AUTH_TOKEN_INVALID(identity.reason);
  if (identity.state === 'none') return undefined;
  // a Bearer header is never sent by a browser on its own, so only the session needs CSRF
  if (identity.via === 'session') checkCsrf(request, form);
  const { username } = identity.token;
  const explicit = arg(request, form, 'username')?.trim();
  if (explicit !== undefined && explicit !== username) {
    throw Errors.USERNAME_MISMATCH(`This API token belongs to ${username}; it cannot act as ${explicit || 'an empty username'}`);
  }
  return username;
}

/** The current username, unvalidated: query arg, form field, then session (CSRF-checked); in token mode the token's user. */
export function currentUsername(request: FastifyRequest, form: RequestForm | null): string | undefined {
  if (request.server.services.config.authMode === 'token') return tokenUsername(request, form);
  const explicit = arg(request, form, 'username');
  if (explicit !== undefined) return explicit;
  const fromSession = sessionUsername(request);
  if (fromSession !== undefined) checkCsrf(request, form);
  return fromSession;
}

/** Login required, non-redirecting flavour: 401 without a username, 400 for an invalid one. */
export function requireUsername(request: FastifyRequest, form: RequestForm | null): string {
  const username = currentUsername(request, form)?.trim();
  if (!username && request.server.services.config.authMode === 'token') {
    throw Errors.AUTH_TOKEN_REQUIRED('This server requires an API token: send "Authorization: Bearer <token>" (an administrator issues tokens with npm run tokens -- issue <username>)');
  }
  if (!username) throw Errors.LOGIN_REQUIRED('You must be logged in to do this: POST /login with a username, or send a username field');
  const problem = usernameProblem(username);
  if (problem) throw Errors.INVALID_USERNAME(`Invalid username - ${problem}`);
  return username;
}

/** DIGITS' has_permission for edit/delete/abort: owners only; legacy jobs without an owner are open. */
export function requireOwner(record: JobRecord, username: string, action: 'edit' | 'delete' | 'abort' | 'resume'): void {
  if (record.username !== null && record.username !== username) {
    throw Errors.FORBIDDEN(`Only ${record.username} may ${action} this job`);
  }
}
