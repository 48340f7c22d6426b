/** `GET /workers.json`: the live worker processes (the registry their heartbeats keep). */
import type { FastifyInstance } from 'fastify';
import { listWorkers } from '@digits-ts/queue';
import type { Services } from '../services.ts';

export async function workerRoutes(app: FastifyInstance): Promise<void> {
  const services: Services = app.services;
  app.get('/workers.json', async () => ({ workers: await listWorkers(services.redis, services.config.redis.prefix) }));
}
