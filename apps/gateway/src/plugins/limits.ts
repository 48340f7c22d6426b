/**
 * Two guards DIGITS lacked (contract §14): per-client rate limits on the routes that cost a worker
 * (inference) or guard identity (login), and load shedding before the event loop drowns.
 * Both answer in DIGITS' error envelope with a stable code and a Retry-After header.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest, onRequestHookHandler } from 'fastify';
import rateLimit from '@fastify/rate-limit';
import underPressure from '@fastify/under-pressure';
import { Errors } from '@digits-ts/contracts';

/** Seconds a shed request is told to wait. */
const BUSY_RETRY_AFTER_S = 10;
/** Routes that answer even under pressure: liveness, and the metrics that show the pressure. */
const NEVER_SHED = new Set(['/health', '/metrics']);

declare module 'fastify' {
  interface FastifyInstance {
    /** onRequest hooks of the rate-limited groups; undefined where the limit is 0 (off). */
    rateLimits: { infer: onRequestHookHandler | undefined; login: onRequestHookHandler | undefined };
  }
}

/**
 * Registers @fastify/rate-limit with `global: false` (nothing is limited unless a route asks)
 * and decorates the app with one hook per group. A group's hook has one budget per client
 * address however many routes carry it, so spelling a route `.json` or calling another
 * inference route buys no more. Counts are kept per gateway process, in memory.
 */
export async function installRateLimits(app: FastifyInstance, perMinute: { inferPerMinute: number; loginPerMinute: number }): Promise<void> {
  await app.register(rateLimit, {
    global: false,
    errorResponseBuilder: (_request, context) => Errors.RATE_LIMITED(`Too many requests: at most ${context.max} a minute from one address; retry in ${context.after}`, { details: { limit: context.max, retryAfterSeconds: Math.ceil(context.ttl / 1000) } }),
  });
  const hook = (max: number) => (max === 0 ? undefined : (app.rateLimit({ max, timeWindow: 60_000 }) as unknown as onRequestHookHandler));
  app.decorate('rateLimits', { infer: hook(perMinute.inferPerMinute), login: hook(perMinute.loginPerMinute) });
}

/** Route options that put a route under `hook` (none when the limit is off). */
export function limitedBy(hook: onRequestHookHandler | undefined): { onRequest?: onRequestHookHandler } {
  return hook ? { onRequest: hook } : {};
}

/**
 * Sheds every request but {@link NEVER_SHED} with 503 SERVER_BUSY while the mean event-loop
 * delay or the heap is over its PRESSURE_* limit (sampled each second by @fastify/under-pressure;
 * 0 turns a check off). Registered first, so a shed request costs no session decrypt or parse.
 * `/ready` is shed too: a balancer then sends the traffic to a gateway that can take it.
 */
export async function installLoadShedding(app: FastifyInstance, limits: { maxEventLoopDelayMs: number; maxHeapBytes: number }): Promise<void> {
  await app.register(underPressure, {
    maxEventLoopDelay: limits.maxEventLoopDelayMs,
    maxHeapUsedBytes: limits.maxHeapBytes,
    retryAfter: BUSY_RETRY_AFTER_S,
    pressureHandler: (request: FastifyRequest, reply: FastifyReply, type: string, value: number | undefined) => {
      if (NEVER_SHED.has(request.routeOptions.url ?? '')) return;
      reply.header('retry-after', String(BUSY_RETRY_AFTER_S));
      const measured = type === 'eventLoopDelay' ? `event-loop delay ${Math.round(value ?? 0)} ms` : type === 'heapUsedBytes' ? `heap ${value} bytes` : type;
      // a rejection reaches the error handler, which answers in DIGITS' envelope
      return Promise.reject(Errors.SERVER_BUSY(`The server is too busy (${measured}); retry in ${BUSY_RETRY_AFTER_S} s`, { details: { retryAfterSeconds: BUSY_RETRY_AFTER_S } }));
    },
  });
}
