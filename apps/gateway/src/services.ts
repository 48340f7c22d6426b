/** What routes need from the outside world, built once per app. */
import type { GatewayConfig } from '@digits-ts/config';
import type { JobChangeHub, JobStore, QueueProducer, Redis, RequestClient } from '@digits-ts/queue';

export interface Services {
  config: GatewayConfig;
  redis: Redis;
  store: JobStore;
  producer: QueueProducer;
  /** Request/reply on the infer queue. */
  inference: RequestClient;
  /** Job change notices, for event streams. */
  jobChanges: JobChangeHub;
}

declare module 'fastify' {
  interface FastifyInstance {
    services: Services;
  }
}

declare module '@fastify/secure-session' {
  interface SessionData {
    username: string;
    /** @fastify/csrf-protection's secret for this session's form tokens. */
    _csrf: string;
  }
}
