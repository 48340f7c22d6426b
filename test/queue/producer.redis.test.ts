// QueueProducer (producer.ts) against real Redis: each job's queue entry gets the retry policy
// its catalogue entry declares, and every job's policy is an explicit decision.
import t from 'tap';
import { JOBS, type JobName } from '@digits-ts/contracts';
import { createRedis, QueueProducer, RequestClient } from '@digits-ts/queue';
import { dropPrefix, redisUrl, testPrefix } from '../helpers/redis.ts';

t.test('every job says how often it is tried and why', async (t) => {
  for (const name of Object.keys(JOBS) as JobName[]) {
    const { retry } = JOBS[name];
    t.ok(Number.isInteger(retry.attempts) && retry.attempts >= 1, `${name}: attempts ${retry.attempts}`);
    t.ok(retry.why.length > 20, `${name}: the reason is written down`);
  }
});

t.test('the producer enqueues with the catalogue\'s policy', async (t) => {
  const url = await redisUrl();
  const prefix = testPrefix();
  const producer = new QueueProducer(createRedis(url, 'client'), prefix);
  t.teardown(async () => {
    await producer.close();
    await dropPrefix(url, prefix);
  });
  const ref = await producer.enqueue('draw-network', { v: 1, jobId: RequestClient.requestId(), network: 'layer {}', format: 'svg' });
  const job = await producer.queue(ref.queue).getJob(ref.id);
  t.equal(job?.opts.attempts, JOBS['draw-network'].retry.attempts, 'attempts');
  t.equal(job?.opts.backoff, undefined, 'no backoff for a job never retried');
  t.same(job?.opts.removeOnComplete, { age: 60 }, 'a request\'s answer is kept briefly');
});
