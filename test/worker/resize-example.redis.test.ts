// resize-example through the real infer queue: the sample resized per mode and encoding, with
// DIGITS' byte counts, and payloads refused before they reach a worker.
import t from 'tap';
import sharp from 'sharp';
import type { FastifyInstance } from 'fastify';
import type { ResizeExamplePayload, ResizeExampleResult } from '@digits-ts/contracts';
import { QueueEvents } from 'bullmq';
import { createRedis, RequestClient } from '@digits-ts/queue';
import { startStack } from '../helpers/stack.ts';

type Query = Omit<ResizeExamplePayload, 'v' | 'jobId'>;

function resizeExample(app: FastifyInstance, query: Query): Promise<ResizeExampleResult> {
  return app.services.inference.request('resize-example', { v: 1, jobId: RequestClient.requestId(), ...query }, 30_000);
}

t.test('resize-example answers with the resized sample', async (t) => {
  const stack = await startStack(t);
  const cases: Array<Query & { format: 'png' | 'jpeg' }> = [
    { width: 256, height: 256, channels: 3, resizeMode: 'squash', encoding: 'png', format: 'png' },
    { width: 28, height: 28, channels: 1, resizeMode: 'crop', encoding: 'none', format: 'png' },
    { width: 120, height: 40, channels: 3, resizeMode: 'fill', encoding: 'jpg', format: 'jpeg' },
    { width: 50, height: 90, channels: 1, resizeMode: 'half_crop', encoding: 'jpg', format: 'jpeg' },
  ];
  for (const { format, ...query } of cases) {
    const name = `${query.resizeMode} ${query.width}x${query.height}x${query.channels} ${query.encoding}`;
    const result = await resizeExample(stack.app, query);
    t.equal(result.mime, `image/${format}`, `${name}: mime`);
    const bytes = Buffer.from(result.data, 'base64');
    t.match(await sharp(bytes).metadata(), { format, width: query.width, height: query.height, channels: query.channels }, `${name}: picture`);
    t.equal(result.bytes, query.encoding === 'none' ? query.width * query.height * query.channels : bytes.length, `${name}: bytes`);
  }

  const bad: Array<[string, Record<string, unknown>]> = [
    ['width over the cap', { width: 4097 }],
    ['zero height', { height: 0 }],
    ['two channels', { channels: 2 }],
    ['unknown mode', { resizeMode: 'stretch' }],
    ['unknown encoding', { encoding: 'gif' }],
  ];
  for (const [name, change] of bad) {
    const query = { width: 10, height: 10, channels: 3, resizeMode: 'crop', encoding: 'png', ...change } as Query;
    await t.rejects(resizeExample(stack.app, query), { code: 'INVALID_PAYLOAD' }, name);
  }
  // a worker checks again: a payload written around the producer fails at once, not retried
  const connection = createRedis(stack.redisUrl, 'worker');
  const events = new QueueEvents('infer', { connection, prefix: stack.prefix });
  t.teardown(async () => {
    await events.close();
    await connection.quit();
  });
  await events.waitUntilReady();
  const queue = stack.app.services.producer.queue('infer');
  const job = await queue.add('resize-example', { v: 1, jobId: 'raw', width: -1 }, { jobId: 'resize-example-raw', attempts: 3 });
  await t.rejects(job.waitUntilFinished(events, 30_000), { message: /^\[INVALID_PAYLOAD\] resize-example payload is invalid/ });
  t.equal((await queue.getJob(job.id!))!.attemptsMade, 1, 'not retried');
});
