/**
 * API tokens for AUTH_MODE=token. A token is 32 random bytes; Redis keeps only its sha256, so a
 * copy of the store (a dump, a replica) cannot be replayed. A sha256 lookup suffices because the
 * token is high-entropy: no salt or slow hash is needed to resist guessing.
 *
 * Keys: `<prefix>:store:api-tokens` (hash: token sha256 → ApiToken JSON) and
 * `<prefix>:store:api-token-ids` (hash: token id → token sha256), so revoking by id and checking
 * a session that remembers only the id need no scan.
 */
import { createHash, randomBytes } from 'node:crypto';
import { Errors, usernameProblem } from '@digits-ts/contracts';
import { storeKey, type Redis } from '../redis.ts';

/** What the store knows about one token (never the token itself). */
export interface ApiToken {
  /** Public handle, for listing and revoking (12 hex digits). */
  id: string;
  username: string;
  /** Seconds since the epoch, as job records count time. */
  created: number;
}

/** Every token starts with this, so a leaked one is recognisable (secret scanners, logs). */
export const API_TOKEN_PREFIX = 'dgt_';
const TOKEN_ID = /^[0-9a-f]{12}$/;

function sha256(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

function parse(json: string | null | undefined): ApiToken | null {
  return json ? (JSON.parse(json) as ApiToken) : null;
}

/** Issue, check, list and revoke API tokens in Redis. */
export class ApiTokenStore {
  private readonly tokensKey: string;
  private readonly idsKey: string;

  constructor(private readonly redis: Redis, prefix: string) {
    this.tokensKey = storeKey(prefix, 'api-tokens');
    this.idsKey = storeKey(prefix, 'api-token-ids');
  }

  /** A new token for `username`; the returned `token` is the only copy there will ever be. */
  async issue(username: string): Promise<{ token: string; record: ApiToken }> {
    const problem = usernameProblem(username);
    if (problem) throw Errors.INVALID_USERNAME(`Invalid username - ${problem}`);
    const token = API_TOKEN_PREFIX + randomBytes(32).toString('base64url');
    const record: ApiToken = { id: randomBytes(6).toString('hex'), username, created: Date.now() / 1000 };
    const hash = sha256(token);
    await this.redis.multi().hset(this.tokensKey, hash, JSON.stringify(record)).hset(this.idsKey, record.id, hash).exec();
    return { token, record };
  }

  /** The token's record, or null when it was never issued or has been revoked. */
  async verify(token: string): Promise<ApiToken | null> {
    if (!token.startsWith(API_TOKEN_PREFIX)) return null;
    return parse(await this.redis.hget(this.tokensKey, sha256(token)));
  }

  /** The record of token `id`, or null when there is none (any more). */
  async byId(id: string): Promise<ApiToken | null> {
    if (!TOKEN_ID.test(id)) return null;
    const hash = await this.redis.hget(this.idsKey, id);
    return hash ? parse(await this.redis.hget(this.tokensKey, hash)) : null;
  }

  /** Every live token, oldest first. */
  async list(): Promise<ApiToken[]> {
    const all = Object.values(await this.redis.hgetall(this.tokensKey)).map((json) => JSON.parse(json) as ApiToken);
    return all.sort((a, b) => a.created - b.created);
  }

  /** Revokes a token named by its id or by the token itself; the revoked record, or null if none matched. */
  async revoke(idOrToken: string): Promise<ApiToken | null> {
    const hash = idOrToken.startsWith(API_TOKEN_PREFIX) ? sha256(idOrToken) : TOKEN_ID.test(idOrToken) ? await this.redis.hget(this.idsKey, idOrToken) : null;
    if (!hash) return null;
    const record = parse(await this.redis.hget(this.tokensKey, hash));
    if (!record) return null;
    await this.redis.multi().hdel(this.tokensKey, hash).hdel(this.idsKey, record.id).exec();
    return record;
  }
}
