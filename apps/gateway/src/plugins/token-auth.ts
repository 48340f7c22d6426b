/**
 * AUTH_MODE=token: before each handler, resolve who the request's API token says it is, once,
 * so the synchronous identity helpers (identity.ts) can read it. The token is a Bearer header,
 * or a session that `POST /login` opened with a token (browsers cannot set headers on forms).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ApiToken, ApiTokenStore } from '@digits-ts/queue';

/** What a request proved: nothing, a bad token, or a live token. */
export type TokenIdentity =
  | { state: 'none' }
  | { state: 'invalid'; reason: string }
  | { state: 'valid'; token: ApiToken; via: 'bearer' | 'session' };

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the token-auth hook in AUTH_MODE=token; null in username mode. */
    tokenIdentity: TokenIdentity | null;
  }
}

const BEARER = /^Bearer +(\S+) *$/i;
/** Why a well-formed token is refused (the store cannot tell revoked from never issued). */
export const UNKNOWN_TOKEN = 'This API token is not valid: it was revoked or never issued';

async function resolveIdentity(request: FastifyRequest, tokens: ApiTokenStore): Promise<TokenIdentity> {
  const header = request.headers.authorization;
  if (header !== undefined) {
    const token = BEARER.exec(header)?.[1];
    if (!token) return { state: 'invalid', reason: 'The Authorization header must read "Bearer <token>"' };
    const record = await tokens.verify(token);
    return record ? { state: 'valid', token: record, via: 'bearer' } : { state: 'invalid', reason: UNKNOWN_TOKEN };
  }
  const session = request.session;
  const tokenId = session?.get('tokenId');
  if (typeof tokenId === 'string') {
    const record = await tokens.byId(tokenId);
    if (record && record.username === session.get('username')) return { state: 'valid', token: record, via: 'session' };
  }
  // a session no live token backs (revoked since, or opened in username mode) logs nobody in;
  // regenerate, not delete: it empties the data now (the pages read it) and a login may still set it
  if (session?.get('username') !== undefined) session.regenerate();
  return { state: 'none' };
}

/** Installs the resolving hook and RFC 6750's WWW-Authenticate on 401s; nothing in username mode. */
export function installTokenAuth(app: FastifyInstance): void {
  app.decorateRequest('tokenIdentity', null);
  const { config, tokens } = app.services;
  if (config.authMode !== 'token') return;
  app.addHook('preHandler', async (request) => {
    request.tokenIdentity = await resolveIdentity(request, tokens);
  });
  app.addHook('onSend', async (request, reply, payload) => {
    if (reply.statusCode === 401) {
      reply.header('www-authenticate', request.tokenIdentity?.state === 'invalid' ? 'Bearer realm="digits", error="invalid_token"' : 'Bearer realm="digits"');
    }
    return payload;
  });
}
