/** The one place Redis connections are made. */
import { Redis } from 'ioredis';

export type { Redis } from 'ioredis';

/**
 * `worker` connections never give up on a command (BullMQ needs `maxRetriesPerRequest: null`);
 * `client` connections fail a command after a few retries so an HTTP request gets a 503.
 */
export function createRedis(url: string, role: 'client' | 'worker' | 'subscriber'): Redis {
  const redis = new Redis(url, {
    maxRetriesPerRequest: role === 'client' ? 2 : null,
    enableOfflineQueue: true,
    lazyConnect: false,
    connectionName: `digits-ts:${role}`,
  });
  // while Redis restarts the connection retries by itself and commands fail or wait: nothing to
  // do with the event, and ioredis would print every attempt as "Unhandled error event"
  redis.on('error', () => undefined);
  return redis;
}

/** Store keys live under `<prefix>:store:` so they never meet BullMQ's `<prefix>:<queue>:` keys. */
export function storeKey(prefix: string, ...parts: string[]): string {
  return [prefix, 'store', ...parts].join(':');
}
