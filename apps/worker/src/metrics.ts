/**
 * The worker's Prometheus metrics (prom-client), served on METRICS_PORT: job durations by job
 * and outcome, dataset build and training throughput, epoch times. One registry per process,
 * shared by the workers a process runs.
 */
import http from 'node:http';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export const registry = new Registry();
collectDefaultMetrics({ register: registry, prefix: 'digits_worker_' });

export const jobDuration = new Histogram({
  name: 'digits_worker_job_duration_seconds', help: 'Time a worker spent on one queue job, by job name and outcome',
  labelNames: ['job', 'outcome'], buckets: [0.05, 0.25, 1, 5, 30, 120, 600, 3600, 14_400], registers: [registry],
});
export const jobsProcessed = new Counter({ name: 'digits_worker_jobs_total', help: 'Queue jobs processed, by job name and outcome', labelNames: ['job', 'outcome'], registers: [registry] });
export const datasetImagesPerSecond = new Gauge({ name: 'digits_dataset_images_per_second', help: 'Images per second of the last dataset build', registers: [registry] });
export const trainingImagesPerSecond = new Gauge({ name: 'digits_training_images_per_second', help: 'Training images per second of the last model job', registers: [registry] });
export const epochSeconds = new Histogram({
  name: 'digits_training_epoch_seconds', help: 'Wall time of one training epoch (validation and snapshots included)',
  buckets: [0.5, 2, 10, 30, 120, 600, 3600], registers: [registry],
});

/** Serves `GET /metrics` on `port` (0: any free port); resolves with the listening server. */
export function startMetricsServer(port: number, host: string): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    if (req.method !== 'GET' || req.url?.split('?')[0] !== '/metrics') {
      res.writeHead(404).end('Not found\n');
      return;
    }
    registry.metrics().then(
      (text) => res.writeHead(200, { 'content-type': registry.contentType }).end(text),
      (err: unknown) => res.writeHead(500).end(`${(err as Error).message}\n`),
    );
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve(server));
  });
}
