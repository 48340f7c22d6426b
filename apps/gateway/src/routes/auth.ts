/** `/login` and `/logout` (contract §2.2); with AUTH_MODE=token, login takes an API token. */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Errors, usernameProblem } from '@digits-ts/contracts';
import { formBody } from '../openapi.ts';
import { arg, readForm, type RequestForm } from '../plugins/form.ts';
import { limitedBy } from '../plugins/limits.ts';
import { UNKNOWN_TOKEN } from '../plugins/token-auth.ts';
import { wantsJson } from '../plugins/negotiation.ts';
import { PAGE_TITLES } from '../pages/titles.ts';

/** Where to go after login/logout: arg `next`, else Referer, else `/`; only local paths. */
function nextUrl(request: FastifyRequest, form: RequestForm | null): string {
  let target = arg(request, form, 'next');
  if (target === undefined && request.headers.referer) {
    try {
      const referer = new URL(request.headers.referer);
      target = referer.pathname + referer.search;
    } catch {
      target = undefined;
    }
  }
  // only same-site paths: an open redirect would let a link send people anywhere
  return target && target.startsWith('/') && !target.startsWith('//') && !target.includes('\\') ? target : '/';
}

/**
 * AUTH_MODE=token: `POST /login` takes a `token` field (or a Bearer header) and opens a session
 * remembering the token's id, so revoking the token also ends the session. A bare username is refused.
 */
async function tokenLogin(request: FastifyRequest, reply: FastifyReply, form: RequestForm): Promise<FastifyReply> {
  const next = nextUrl(request, form);
  // the body only, never the query string: URLs end up in logs and browser history
  const token = form.fields.token?.trim();
  const identity = request.tokenIdentity;
  const record = token ? await request.server.services.tokens.verify(token) : identity?.state === 'valid' ? identity.token : null;
  if (!record) {
    const error = token || identity?.state === 'invalid'
      ? Errors.AUTH_TOKEN_INVALID(UNKNOWN_TOKEN)
      : Errors.AUTH_TOKEN_REQUIRED('This server logs in with API tokens, not usernames: send the token an administrator issued you in the token field');
    if (wantsJson(request)) throw error;
    return reply.page('login', { title: PAGE_TITLES.login, next, tokenMode: true, message: error.message }, error.statusCode);
  }
  request.session.set('username', record.username);
  request.session.set('tokenId', record.id);
  return reply.redirect(next, 302);
}

export async function authRoutes(app: FastifyInstance): Promise<void> {
  const tokenMode = app.services.config.authMode === 'token';
  const login = { summary: 'Log in as `username` (sets the session cookie); with AUTH_MODE=token, with an API `token` instead; GET shows the form', tags: ['auth'], form: formBody({ username: { kind: 'string' }, token: { kind: 'string' } }) };
  app.get('/login', { schema: login }, async (request, reply) => reply.page('login', { title: PAGE_TITLES.login, next: nextUrl(request, null), tokenMode }));

  app.post('/login', { schema: login, ...limitedBy(app.rateLimits.login) }, async (request, reply) => {
    const form = await readForm(request);
    if (tokenMode) return tokenLogin(request, reply, form);
    const username = (arg(request, form, 'username') ?? '').trim();
    const next = nextUrl(request, form);
    const problem = usernameProblem(username);
    // DIGITS re-renders the login page with the message and a 200, never JSON
    if (problem) return reply.page('login', { title: PAGE_TITLES.login, next, message: problem, value: username });
    request.session.set('username', username);
    return reply.redirect(next, 302);
  });

  const logout = async (request: FastifyRequest, reply: FastifyReply) => {
    const form = request.method === 'POST' ? await readForm(request) : null;
    request.session.delete();
    return reply.redirect(nextUrl(request, form), 302);
  };
  const schema = { summary: 'Log out', tags: ['auth'] };
  app.get('/logout', { schema }, logout);
  app.post('/logout', { schema }, logout);
}
