/**
 * The gateway's Prometheus metrics (prom-client) at `GET /metrics`: queue depths and the age of
 * each queue's oldest waiting job, jobs by type and status, live workers, request and inference
 * latency. Gauges are read from Redis when scraped.
 */
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { QUEUES, statusName } from '@digits-ts/contracts';
import { listWorkers } from '@digits-ts/queue';
import type { Services } from './services.ts';

const QUEUE_STATES = ['waiting', 'active', 'delayed', 'failed', 'completed'] as const;

/** Inference requests (classify_* / infer_*), answered or not. */
export const inferenceSeconds = new Histogram({
  name: 'digits_inference_request_seconds', help: 'Time from an inference request reaching the queue to its answer, by job and outcome',
  labelNames: ['job', 'outcome'], buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30], registers: [],
});

/** Registers the metrics and `GET /metrics` on `app`. */
async function metrics(app: FastifyInstance): Promise<void> {
  const services: Services = app.services;
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'digits_gateway_' });
  registry.registerMetric(inferenceSeconds);
  const requestSeconds = new Histogram({
    name: 'digits_http_request_seconds', help: 'HTTP request durations by method, route and status code',
    labelNames: ['method', 'route', 'status'], buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30], registers: [registry],
  });
  app.addHook('onResponse', async (request, reply) => {
    requestSeconds.observe({ method: request.method, route: request.routeOptions.url ?? 'unmatched', status: String(reply.statusCode) }, reply.elapsedTime / 1000);
  });
  new Gauge({
    name: 'digits_queue_jobs', help: 'Queue entries by queue and state', labelNames: ['queue', 'state'], registers: [registry],
    async collect() {
      for (const queue of QUEUES) {
        const counts = await services.producer.queue(queue).getJobCounts(...QUEUE_STATES);
        for (const state of QUEUE_STATES) this.set({ queue, state }, counts[state] ?? 0);
      }
    },
  });
  new Gauge({
    name: 'digits_queue_oldest_waiting_seconds', help: 'Age of the oldest waiting entry of each queue (0 when none waits)', labelNames: ['queue'], registers: [registry],
    async collect() {
      for (const queue of QUEUES) {
        const [oldest] = await services.producer.queue(queue).getWaiting(-1, -1);
        this.set({ queue }, oldest ? Math.max(0, (Date.now() - oldest.timestamp) / 1000) : 0);
      }
    },
  });
  new Gauge({
    name: 'digits_jobs', help: 'Jobs by type and status', labelNames: ['type', 'status'], registers: [registry],
    async collect() {
      this.reset();
      const counts = new Map<string, { type: string; status: string; n: number }>();
      for (const record of await services.store.list()) {
        const key = `${record.type}\u0000${record.status}`;
        const entry = counts.get(key) ?? { type: record.type, status: statusName(record.status), n: 0 };
        entry.n++;
        counts.set(key, entry);
      }
      for (const { type, status, n } of counts.values()) this.set({ type, status }, n);
    },
  });
  new Gauge({
    name: 'digits_workers', help: 'Live worker processes (registry heartbeats), by queue', labelNames: ['queue'], registers: [registry],
    async collect() {
      const workers = await listWorkers(services.redis, services.config.redis.prefix);
      for (const queue of QUEUES) this.set({ queue }, workers.filter((w) => w.queues.includes(queue)).length);
    },
  });
  app.get('/metrics', { schema: { summary: 'Prometheus metrics', tags: ['service'] } }, async (_request, reply) => reply.type(registry.contentType).send(await registry.metrics()));
}

// not encapsulated: the request-duration hook must see every route
export const metricsRoutes = fp(metrics, { name: 'metrics' });
