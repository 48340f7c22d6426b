// RequestClient (request-reply.ts) against real Redis and a BullMQ worker: the answer comes back
// typed by the catalogue's result schema, and an answer of another shape is refused.
import t from 'tap';
import type { Job } from 'bullmq';
import { createRedis, QueueProducer, RequestClient, startQueueWorker, type JobProcessor, type Processor } from '@digits-ts/queue';
import { dropPrefix, redisUrl, testPrefix } from '../helpers/redis.ts';

// a processor is typed by its job's result: another shape does not typecheck (`npm run typecheck`)
// @ts-expect-error 'image/gif' is not a resize-example mime
const wrongMime: JobProcessor<'resize-example'> = async () => ({ mime: 'image/gif', data: '', bytes: 0 });
void wrongMime;

t.test('a request is answered with its result, checked against the catalogue', async (t) => {
  const url = await redisUrl();
  const prefix = testPrefix();
  const producer = new QueueProducer(createRedis(url, 'client'), prefix);
  const client = new RequestClient(url, prefix, producer, 'infer');
  const connection = createRedis(url, 'worker');
  let answer: unknown = null;
  // a stand-in worker (as one of another version would be): it answers whatever it is told
  const answers: Processor = async (job: Job) => {
    t.equal(job.data.width, 7, 'the worker gets the payload');
    return answer;
  };
  const worker = startQueueWorker('infer', new Map<string, Processor>([['resize-example', answers]]), { connection, prefix, concurrency: 1 });
  t.teardown(async () => {
    await worker.close();
    await client.close();
    await producer.close();
    await connection.quit();
    await dropPrefix(url, prefix);
  });
  const payload = () => ({ v: 1 as const, jobId: RequestClient.requestId(), width: 7, height: 5, channels: 3 as const, resizeMode: 'crop' as const, encoding: 'png' as const });

  answer = { mime: 'image/png', data: 'iVBO', bytes: 4 };
  const result = await client.request('resize-example', payload(), 10_000);
  t.same(result, answer, 'the answer as the worker sent it');
  t.equal(result.bytes, 4, 'typed: ResultOf<"resize-example">');

  answer = { mime: 'image/png', data: 'iVBO' };
  await t.rejects(client.request('resize-example', payload(), 10_000), { code: 'INTERNAL', message: /answer to resize-example has an unexpected shape/ }, 'a missing field is refused');
  answer = 'a picture';
  await t.rejects(client.request('resize-example', payload(), 10_000), { code: 'INTERNAL' }, 'so is an answer that is no object');
});
