/**
 * DIGITS' identity (contract §2): the `username` arg, else the session cookie. The cookie is
 * named `username` as in DIGITS, but its value is an encrypted @fastify/secure-session.
 */
import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
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

/** The current username, unvalidated: query arg, form field, then session. */
export function currentUsername(request: FastifyRequest, form: RequestForm | null): string | undefined {
  const explicit = arg(request, form, 'username');
  if (explicit !== undefined) return explicit;
  const fromSession = request.session?.get('username');
  return typeof fromSession === 'string' ? fromSession : undefined;
}

/** Login required, non-redirecting flavour: 401 without a username, 400 for an invalid one. */
export function requireUsername(request: FastifyRequest, form: RequestForm | null): string {
  const username = currentUsername(request, form)?.trim();
  if (!username) throw Errors.LOGIN_REQUIRED('You must be logged in to do this: POST /login with a username, or send a username field');
  const problem = usernameProblem(username);
  if (problem) throw Errors.INVALID_USERNAME(`Invalid username - ${problem}`);
  return username;
}

/** DIGITS' has_permission for edit/delete/abort: owners only; legacy jobs without an owner are open. */
export function requireOwner(record: JobRecord, username: string, action: 'edit' | 'delete' | 'abort'): void {
  if (record.username !== null && record.username !== username) {
    throw Errors.FORBIDDEN(`Only ${record.username} may ${action} this job`);
  }
}
