/** Builds the gateway's Fastify instance from plugins and routes; exported for tests. */
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import cookie from '@fastify/cookie';
import formbody from '@fastify/formbody';
import multipart from '@fastify/multipart';
import secureSession from '@fastify/secure-session';
import type { GatewayConfig } from '@digits-ts/config';
import type { Logger } from '@digits-ts/logger';
import { ApiTokenStore, createRedis, JobChangeHub, JobStore, QueueProducer, RequestClient } from '@digits-ts/queue';
import { frameworkErrors, installErrorHandlers } from './plugins/errors.ts';
import { installLoadShedding, installRateLimits } from './plugins/limits.ts';
import { loadSessionKey } from './plugins/identity.ts';
import { installTokenAuth } from './plugins/token-auth.ts';
import { recoverJobs } from './recovery.ts';
import { authRoutes } from './routes/auth.ts';
import { datasetRoutes } from './routes/datasets.ts';
import { modelRoutes } from './routes/models.ts';
import { networkToolRoutes } from './routes/network-tools.ts';
import { workerRoutes } from './routes/workers.ts';
import { jobEventRoutes } from './routes/job-events.ts';
import { datasetPageRoutes } from './routes/dataset-pages.ts';
import { modelPageRoutes } from './routes/model-pages.ts';
import { pages } from './pages/plugin.ts';
import { metricsRoutes } from './metrics.ts';
import { openApi } from './openapi.ts';
import { inferenceRoutes } from './routes/inference.ts';
import { modelDownloadRoutes } from './routes/model-download.ts';
import { pretrainedRoutes } from './routes/pretrained.ts';
import { fileRoutes } from './routes/files.ts';
import { autocompleteRoutes } from './routes/autocomplete.ts';
import { healthRoutes } from './routes/health.ts';
import { jobRoutes } from './routes/jobs.ts';
import { jobTableRoutes } from './routes/job-tables.ts';
import type { Services } from './services.ts';

export interface BuildOptions {
  config: GatewayConfig;
  logger: Logger;
}

/** A ready-to-listen gateway. Its onClose hook closes every connection it opened. */
export async function buildApp({ config, logger }: BuildOptions): Promise<FastifyInstance> {
  const app = Fastify({ loggerInstance: logger as FastifyBaseLogger, bodyLimit: config.uploads.maxBytes, frameworkErrors });
  const redis = createRedis(config.redis.url, 'client');
  const services: Services = {
    config,
    redis,
    store: new JobStore(redis, config.redis.prefix, config.jobsDir),
    producer: new QueueProducer(createRedis(config.redis.url, 'client'), config.redis.prefix),
    tokens: new ApiTokenStore(redis, config.redis.prefix),
  } as Services;
  services.inference = new RequestClient(config.redis.url, config.redis.prefix, services.producer, 'infer');
  services.jobChanges = new JobChangeHub(config.redis.url, config.redis.prefix);
  app.decorate('services', services);
  app.addHook('onClose', async () => {
    await services.jobChanges.close();
    await services.inference.close();
    await services.producer.close();
    await services.store.close();
    await redis.quit().catch(() => redis.disconnect());
  });

  installErrorHandlers(app);
  await installLoadShedding(app, config.pressure);
  await installRateLimits(app, config.rateLimits);
  await app.register(openApi);
  await app.register(cookie);
  await app.register(secureSession, {
    key: loadSessionKey(config.sessionKey, config.jobsDir),
    cookieName: 'username',
    cookie: { path: '/', httpOnly: true, sameSite: 'lax' },
  });
  await app.register(formbody, { bodyLimit: config.uploads.maxBytes });
  await app.register(multipart, {
    throwFileSizeLimit: true,
    limits: { fileSize: config.uploads.maxBytes, files: config.uploads.maxFiles, fields: 1000, fieldSize: 1024 * 1024, parts: 1000 + config.uploads.maxFiles },
  });

  // after the session plugin (it reads the session), before any route (its hook must cover them all)
  installTokenAuth(app);
  await app.register(pages);

  await app.register(healthRoutes);
  await app.register(authRoutes);
  await app.register(jobRoutes);
  await app.register(jobTableRoutes);
  await app.register(datasetRoutes);
  await app.register(modelRoutes);
  await app.register(datasetPageRoutes);
  await app.register(modelPageRoutes);
  await app.register(networkToolRoutes);
  await app.register(workerRoutes);
  await app.register(jobEventRoutes);
  await app.register(metricsRoutes);
  await app.register(inferenceRoutes);
  await app.register(modelDownloadRoutes);
  await app.register(pretrainedRoutes);
  await app.register(fileRoutes);
  await app.register(autocompleteRoutes);

  app.addHook('onReady', async () => {
    await recoverJobs(services, app.log);
  });
  return app;
}
