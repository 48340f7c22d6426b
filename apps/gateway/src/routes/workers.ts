/** `GET /workers.json`: the live worker processes (the registry their heartbeats keep). */
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { WorkerInfo } from '@digits-ts/contracts';
import { listWorkers } from '@digits-ts/queue';
import type { Services } from '../services.ts';

export async function workerRoutes(app: FastifyInstance): Promise<void> {
  const services: Services = app.services;
  const schema = { summary: 'Live worker processes', tags: ['service'], response: { 200: Type.Object({ workers: Type.Array(WorkerInfo) }) } };
  app.get('/workers.json', { schema }, async () => ({ workers: await listWorkers(services.redis, services.config.redis.prefix) }));
}
