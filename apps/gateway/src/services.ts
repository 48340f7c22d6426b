/** What routes need from the outside world, built once per app. */
import type { GatewayConfig } from '@digits-ts/config';
import type { ApiTokenStore, JobChangeHub, JobStore, QueueProducer, Redis, RequestClient } from '@digits-ts/queue';

export interface Services {
  config: GatewayConfig;
  redis: Redis;
  store: JobStore;
  producer: QueueProducer;
  /** Request/reply on the infer queue. */
  inference: RequestClient;
  /** Job change notices, for event streams. */
  jobChanges: JobChangeHub;
  /** API tokens (AUTH_MODE=token). */
  tokens: ApiTokenStore;
}

declare module 'fastify' {
  interface FastifyInstance {
    services: Services;
  }
}

declare module '@fastify/secure-session' {
  interface SessionData {
    username: string;
    /** AUTH_MODE=token: the id of the token this session was opened with (checked on every request). */
    tokenId: string;
    /** @fastify/csrf-protection's secret for this session's form tokens. */
    _csrf: string;
  }
}
