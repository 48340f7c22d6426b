/** Gateway process entry: config → logger → app → listen → graceful close. */
import closeWithGrace from 'close-with-grace';
import { loadGatewayConfig, loadOrExit } from '@digits-ts/config';
import { createLogger, safeRedisUrl } from '@digits-ts/logger';
import { buildApp } from './app.ts';
import { writeInstallMarker } from './install-marker.ts';

const config = loadOrExit(loadGatewayConfig, process.env);
const logger = createLogger({ level: config.logLevel, name: 'gateway' });
const app = await buildApp({ config, logger });

closeWithGrace({ delay: config.shutdownTimeoutMs }, async ({ signal, err }) => {
  if (err) logger.error({ err }, 'closing after an uncaught error');
  else logger.info({ signal }, 'closing');
  await app.close();
});

await app.listen({ host: config.http.host, port: config.http.port });
// which jobs folder this Redis prefix serves: `npm start` of another install checks it
await writeInstallMarker(app.services.redis, config.redis.prefix, config.jobsDir);
logger.info({ host: config.http.host, port: config.http.port, redis: safeRedisUrl(config.redis.url), jobsDir: config.jobsDir, dataRoots: config.dataRoots }, 'gateway listening');
