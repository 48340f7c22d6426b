// No worker serves the infer queue: classify_one answers 504 INFERENCE_TIMEOUT after
// INFER_TIMEOUT_MS, and the unanswered request leaves the queue and the upload folder.
import fs from 'node:fs/promises';
import path from 'node:path';
import t from 'tap';
import { encodeImage } from '@digits-ts/imaging';
import { login, multipart, startStack } from '../helpers/stack.ts';

t.test('a request no worker answers ends in a 504 with nothing left behind', async (t) => {
  const stack = await startStack(t, { worker: false, env: { INFER_TIMEOUT_MS: '400' } });
  const { store, producer } = stack.app.services;
  const id = await store.reserveId();
  const now = Date.now() / 1000;
  await store.create({
    v: 1, rev: 0, id, kind: 'model', type: 'Image Classification Model', name: 'm', group: '', username: 'alice', notes: null, created: now,
    status: 'D', statusHistory: [['D', now]], progress: 1, error: null, form: {}, queueJob: null, datasetId: null, dataset: null,
    model: { engine: null, snapshots: [{ epoch: 1, dir: 'snapshot_1' }], trainOutputs: {}, valOutputs: {}, epoch: 1, imagesPerSecond: null, inputShape: [28, 28, 1], batchSize: 64, replicas: 1 },
    params: {},
  });
  const cookie = await login(stack.app, 'alice');
  const png = await encodeImage({ data: Buffer.alloc(28 * 28), width: 28, height: 28, channels: 1 }, 'png');
  const body = multipart({ job_id: id }, { image_file: { filename: 'x.png', data: png } });
  const started = Date.now();
  const res = await stack.app.inject({ method: 'POST', url: '/models/images/classification/classify_one.json', payload: body.payload, headers: { ...body.headers, cookie } });
  t.equal(res.statusCode, 504, res.body);
  t.match(res.json(), { error: { code: 'INFERENCE_TIMEOUT', description: /no worker answered within 400 ms/ } });
  // a timer can only fire late, never early: the answer comes after the 400 ms, not before
  t.ok(Date.now() - started >= 400, `answered after ${Date.now() - started} ms`);
  t.equal(await producer.queue('infer').getWaitingCount(), 0, 'the unanswered request left the queue');
  t.same(await fs.readdir(path.join(stack.jobsDir, '.uploads')), [], 'the upload was removed');

  // many requests waiting at once is ordinary load: no listener-leak warning
  const warnings: string[] = [];
  const onWarning = (w: Error) => warnings.push(w.name);
  process.on('warning', onWarning);
  t.teardown(() => process.off('warning', onWarning));
  const many = await Promise.all(Array.from({ length: 16 }, () => stack.app.inject({ method: 'POST', url: '/models/images/classification/classify_one.json', payload: body.payload, headers: { ...body.headers, cookie } })));
  t.same(many.map((r) => r.statusCode), many.map(() => 504));
  await new Promise((r) => setImmediate(r));
  t.same(warnings, [], '16 waiting requests, no MaxListenersExceededWarning');
});
