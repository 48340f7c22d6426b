// Prometheus metrics of the gateway (GET /metrics) and of a worker (METRICS_PORT), read over
// real HTTP while real jobs wait, run and finish.
import t from 'tap';
import { loadWorkerConfig } from '@digits-ts/config';
import { createLogger } from '@digits-ts/logger';
import { startWorker } from '../../apps/worker/src/worker.ts';
import { login, multipart, startStack, waitForStatus } from '../helpers/stack.ts';

/** The value of one sample line (`name{labels} value`), or null when absent. */
function sample(text: string, name: string, labels = ''): number | null {
  const line = text.split('\n').find((l) => l.startsWith(`${name}${labels ? `{${labels}}` : ''} `) || (labels === '' && l.startsWith(`${name} `)));
  return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : null;
}

t.test('gateway and worker metrics', async (t) => {
  const stack = await startStack(t, { worker: false });
  const base = await stack.app.listen({ port: 0, host: '127.0.0.1' });
  const cookie = await login(stack.app, 'alice');
  const body = multipart({ dataset_name: 'g', train_image_count: '300', val_image_count: '30', image_width: '16', image_height: '16' });
  const ds = (await stack.app.inject({ method: 'POST', url: '/datasets/generic/create/image-gradients.json', payload: body.payload, headers: { ...body.headers, cookie } })).json() as { id: string };
  await new Promise((r) => setTimeout(r, 300));

  // no worker yet: the build waits in the ingest queue
  let res = await fetch(`${base}/metrics`);
  t.equal(res.status, 200);
  t.match(res.headers.get('content-type'), /^text\/plain; version=0\.0\.4/);
  let text = await res.text();
  t.equal(sample(text, 'digits_queue_jobs', 'queue="ingest",state="waiting"'), 1);
  t.ok(sample(text, 'digits_queue_oldest_waiting_seconds', 'queue="ingest"')! >= 0.2, 'the waiting entry has an age');
  t.equal(sample(text, 'digits_jobs', 'type="Generic Dataset",status="Initialized"'), 1);
  t.equal(sample(text, 'digits_workers', 'queue="ingest"'), 0, text.split('\n').filter((l) => l.startsWith('digits_workers')).join(' / '));
  t.ok(sample(text, 'digits_http_request_seconds_count', 'method="POST",route="/datasets/generic/create/:extension",status="200"')! >= 1, text.split('\n').filter((l) => l.startsWith('digits_http_request_seconds_count')).join('\n'));

  const worker = await startWorker(loadWorkerConfig({ ...stack.env, METRICS_PORT: '0' }), createLogger({ level: 'silent', name: 'w' }));
  t.teardown(() => worker.close());
  t.match(worker.metricsUrl, /^http:\/\/127\.0\.0\.1:\d+$/);
  t.equal(await waitForStatus(stack.app, ds.id), 'Done');
  text = await (await fetch(`${base}/metrics`)).text();
  t.equal(sample(text, 'digits_queue_jobs', 'queue="ingest",state="waiting"'), 0);
  t.equal(sample(text, 'digits_jobs', 'type="Generic Dataset",status="Done"'), 1);
  t.equal(sample(text, 'digits_workers', 'queue="train"'), 1);

  // the job is Done inside the processor; its duration is recorded as the processor returns
  let workerText = '';
  for (let i = 0; i < 100 && sample(workerText, 'digits_worker_jobs_total', 'job="build-generic-dataset",outcome="completed"') === null; i++) {
    workerText = await (await fetch(`${worker.metricsUrl}/metrics`)).text();
    await new Promise((r) => setTimeout(r, 20));
  }
  t.equal(sample(workerText, 'digits_worker_jobs_total', 'job="build-generic-dataset",outcome="completed"'), 1);
  t.equal(sample(workerText, 'digits_worker_job_duration_seconds_count', 'job="build-generic-dataset",outcome="completed"'), 1);
  t.ok(sample(workerText, 'digits_worker_process_resident_memory_bytes')! > 0, 'process metrics');
  t.equal((await fetch(`${worker.metricsUrl}/other`)).status, 404);
});
