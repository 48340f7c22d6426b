/** Typed enqueueing: a payload is checked against its schema before it reaches Redis. */
import { Queue } from 'bullmq';
import { Errors, JOBS, payloadChecker, queueJobIdOf, type JobName, type PayloadOf, type QueueRef } from '@digits-ts/contracts';
import type { Redis } from '../redis.ts';

export interface QueueJobRef { queue: QueueRef; id: string }

/** Default retention: completed entries go quickly, failed ones stay a while for inspection. */
const RETENTION = { removeOnComplete: { age: 3600, count: 1000 }, removeOnFail: { age: 7 * 24 * 3600 } };
/** Requests' answers are read once by the waiting gateway; keep them briefly. */
const TRANSIENT = { removeOnComplete: { age: 60 }, removeOnFail: { age: 600 } };

export class QueueProducer {
  private readonly queues = new Map<QueueRef, Queue>();

  constructor(private readonly connection: Redis, private readonly prefix: string) {}

  /** The BullMQ queue `name` (created on first use). */
  queue(name: QueueRef): Queue {
    let queue = this.queues.get(name);
    if (!queue) {
      queue = new Queue(name, { connection: this.connection, prefix: this.prefix });
      // each request waiting for its answer listens for the queue closing: many at once is load, not a leak
      queue.setMaxListeners(0);
      // connection errors while Redis restarts: commands wait for the reconnect; don't crash on the event
      queue.on('error', () => undefined);
      this.queues.set(name, queue);
    }
    return queue;
  }

  /**
   * Enqueues job `name` for job record `recordId` with a deterministic BullMQ id, on its queue
   * or on `queue` (a training worker's own queue, for GPU placement).
   */
  async enqueue<N extends JobName>(name: N, payload: PayloadOf<N>, queue: QueueRef = JOBS[name].queue): Promise<QueueJobRef> {
    const def = JOBS[name];
    payloadChecker(name).parse(payload, `${name} payload`);
    const id = queueJobIdOf(name, payload.jobId);
    try {
      const retention = def.record === null ? TRANSIENT : RETENTION;
      const { attempts, backoff } = def.retry;
      await this.queue(queue).add(name, payload, { jobId: id, attempts, ...(backoff ? { backoff } : {}), ...retention });
    } catch (err) {
      throw Errors.QUEUE_UNAVAILABLE('the job queue is unavailable; try again', { cause: err });
    }
    return { queue, id };
  }

  /**
   * Removes a queued entry that no worker holds yet. Returns true when it was removed (or is
   * already gone), false when a worker is running it.
   */
  async removeWaiting(ref: QueueJobRef): Promise<boolean> {
    const job = await this.queue(ref.queue).getJob(ref.id);
    if (!job) return true;
    const state = await job.getState();
    if (state === 'active') return false;
    try {
      await job.remove();
      return true;
    } catch {
      return false; // a worker took it in the meantime
    }
  }

  /** Removes a completed or failed entry (so the same id can be enqueued again); leaves live ones. */
  async removeFinished(ref: QueueJobRef): Promise<void> {
    const job = await this.queue(ref.queue).getJob(ref.id);
    if (!job) return;
    const state = await job.getState();
    if (state === 'completed' || state === 'failed') await job.remove().catch(() => undefined);
  }

  /** True when the entry still exists in its queue (waiting, delayed or active). */
  async isQueued(ref: QueueJobRef): Promise<boolean> {
    const job = await this.queue(ref.queue).getJob(ref.id);
    if (!job) return false;
    const state = await job.getState();
    return state === 'waiting' || state === 'delayed' || state === 'active' || state === 'prioritized' || state === 'waiting-children';
  }

  /** Closes the queues and the connection this producer was given. */
  async close(): Promise<void> {
    await Promise.all([...this.queues.values()].map((q) => q.close()));
    await this.connection.quit().catch(() => this.connection.disconnect());
  }
}
