// ApiTokenStore (api-tokens.ts): issue, verify, look up by id, list and revoke against a real Redis.
import t from 'tap';
import { Redis } from 'ioredis';
import { ApiTokenStore } from '@digits-ts/queue';
import { dropPrefix, redisUrl, testPrefix } from '../helpers/redis.ts';

t.test('issue, verify, byId, list, revoke by id and by token', async (t) => {
  const url = await redisUrl();
  const prefix = testPrefix();
  const redis = new Redis(url);
  t.teardown(async () => {
    await dropPrefix(url, prefix);
    await redis.quit();
  });
  const store = new ApiTokenStore(redis, prefix);

  const a = await store.issue('alice');
  const b = await store.issue('bob');
  t.match(a.record, { id: /^[0-9a-f]{12}$/, username: 'alice', created: Number });
  t.not(a.token, b.token, 'tokens differ');
  t.same(await store.verify(a.token), a.record);
  t.same(await store.byId(b.record.id), b.record);
  t.same((await store.list()).map((r) => r.username), ['alice', 'bob'], 'oldest first');

  for (const bad of ['', 'dgt_', `${a.token}x`, a.token.slice(4), a.record.id]) t.equal(await store.verify(bad), null, `verify(${JSON.stringify(bad.slice(0, 10))})`);
  for (const bad of ['', 'nope', '../x', a.token]) t.equal(await store.byId(bad), null, 'byId takes ids only');
  await t.rejects(store.issue('Alice'), { code: 'INVALID_USERNAME' }, 'usernames follow DIGITS\' rules');

  t.same(await store.revoke(a.record.id), a.record, 'revoke by id');
  t.equal(await store.verify(a.token), null);
  t.equal(await store.byId(a.record.id), null);
  t.equal(await store.revoke(a.record.id), null, 'twice: nothing to revoke');
  t.same(await store.revoke(b.token), b.record, 'revoke by the token itself');
  t.equal(await store.revoke('nope'), null);
  t.same(await store.list(), []);
  t.equal(await redis.exists(`${prefix}:store:api-tokens`, `${prefix}:store:api-token-ids`), 0, 'nothing left behind');
});
