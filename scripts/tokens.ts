/**
 * Admin command for AUTH_MODE=token API tokens (`npm run tokens -- issue|revoke|list`). It talks
 * to Redis directly (REDIS_URL, QUEUE_PREFIX), never to the gateway: issuing tokens must not
 * depend on already holding one. Exit codes: 0 done, 1 nothing to revoke, 2 usage or config error.
 */
import { loadGatewayConfig, loadOrExit } from '@digits-ts/config';
import { ApiTokenStore, createRedis } from '@digits-ts/queue';

const USAGE = `Usage: npm run tokens -- COMMAND
  issue <username>           print a new API token for <username> (shown only this once)
  revoke <token-id | token>  revoke a token; sessions opened with it end too
  list                       id, username and creation time of every live token
Reads REDIS_URL and QUEUE_PREFIX like the gateway.
`;

async function run(store: ApiTokenStore, [command, arg, ...rest]: string[]): Promise<number> {
  if (command === 'list' && arg === undefined) {
    for (const t of await store.list()) process.stdout.write(`${t.id}\t${t.username}\t${new Date(t.created * 1000).toISOString()}\n`);
    return 0;
  }
  if ((command === 'issue' || command === 'revoke') && arg !== undefined && rest.length === 0) {
    if (command === 'issue') {
      const { token, record } = await store.issue(arg);
      // the token alone on stdout, so `TOKEN=$(npm run -s tokens -- issue alice)` works
      process.stdout.write(`${token}\n`);
      process.stderr.write(`issued token ${record.id} for ${record.username}; only its sha256 is stored, so it cannot be shown again\n`);
      return 0;
    }
    const revoked = await store.revoke(arg);
    if (!revoked) {
      process.stderr.write(`no live token matches "${arg.slice(0, 16)}"\n`);
      return 1;
    }
    process.stdout.write(`revoked token ${revoked.id} of ${revoked.username}\n`);
    return 0;
  }
  process.stderr.write(USAGE);
  return 2;
}

const config = loadOrExit(loadGatewayConfig, process.env);
const redis = createRedis(config.redis.url, 'client');
try {
  process.exitCode = await run(new ApiTokenStore(redis, config.redis.prefix), process.argv.slice(2));
} catch (err) {
  process.stderr.write(`${(err as Error).message}\n`);
  process.exitCode = (err as { code?: string }).code === 'INVALID_USERNAME' ? 2 : 1;
} finally {
  await redis.quit().catch(() => redis.disconnect());
}
