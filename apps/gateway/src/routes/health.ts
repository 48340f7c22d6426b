/** `/health`: the process is up. `/ready`: Redis answers, so requests can be served. */
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { Errors } from '@digits-ts/contracts';

const Status = { 200: Type.Object({ status: Type.String() }) };

export async function healthRoutes(app: FastifyInstance): Promise<void> {
  app.get('/health', { schema: { summary: 'Liveness', tags: ['service'], response: Status } }, async () => ({ status: 'ok' }));
  app.get('/ready', { schema: { summary: 'Readiness: Redis reachable', tags: ['service'], response: Status } }, async () => {
    try {
      await app.services.redis.ping();
    } catch (err) {
      throw Errors.QUEUE_UNAVAILABLE('Redis is not reachable', { cause: err });
    }
    return { status: 'ready' };
  });
}
