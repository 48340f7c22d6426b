/**
 * `npm start`'s check before it starts anything: exits 0 when the Redis key prefix is free or
 * already this install's (and then marks it so), 1 with an explanation when another DIGITS-TS's
 * queues are there. `--share` runs on them anyway, taking the marker over. Reads the gateway's
 * variables (REDIS_URL, QUEUE_PREFIX, JOBS_DIR).
 */
import { loadGatewayConfig, loadOrExit } from '@digits-ts/config';
import { safeRedisUrl } from '@digits-ts/logger';
import { createRedis } from '@digits-ts/queue';
import { otherInstall, writeInstallMarker } from './install-marker.ts';

const config = loadOrExit(loadGatewayConfig, process.env);
const share = process.argv.includes('--share');
const { url, prefix } = config.redis;
const redis = createRedis(url, 'client');
try {
  const other = await otherInstall(redis, prefix, config.jobsDir);
  if (other !== null && !share) {
    const whose = other === 'unmarked'
      ? 'the queues of a DIGITS-TS that did not say which jobs folder it serves'
      : `the queues of another DIGITS-TS (jobs folder ${other.jobsDir} on ${other.host}, gateway started ${other.started})`;
    process.stderr.write(`Redis at ${safeRedisUrl(url)} already holds, under the key prefix "${prefix}", ${whose}.
This install's jobs folder is ${config.jobsDir}; its workers would take that install's jobs.
Give this install its own prefix (QUEUE_PREFIX=...) or Redis (REDIS_URL=...), or, if both really are one install, start with DIGITS_SHARE_REDIS=1.
`);
    process.exitCode = 1;
  } else {
    await writeInstallMarker(redis, prefix, config.jobsDir);
  }
} finally {
  redis.disconnect();
}
