/**
 * Request/reply over a queue: enqueue a job and wait for a worker's answer, bounded in time.
 * The answer is checked against the job's result schema (a worker of another version may
 * answer); a failed job comes back as the AppError its `[CODE] message` names.
 */
import { randomBytes } from 'node:crypto';
import { QueueEvents } from 'bullmq';
import { errorOfCode, Errors, resultChecker, type PayloadOf, type QueueName, type RequestJobName, type ResultOf } from '@digits-ts/contracts';
import type { QueueProducer } from './producer.ts';
import { createRedis } from '../redis.ts';

export class RequestClient {
  private events: QueueEvents | null = null;
  private connection: ReturnType<typeof createRedis> | null = null;

  constructor(private readonly url: string, private readonly prefix: string, private readonly producer: QueueProducer, private readonly queue: QueueName) {}

  /** A fresh request id: time-ordered, unguessable, safe as a BullMQ id and a file name. */
  static requestId(): string {
    return `${Date.now().toString(36)}-${randomBytes(6).toString('hex')}`;
  }

  /** The queue's event stream, opened on first use (it needs its own blocking connection). */
  private async queueEvents(): Promise<QueueEvents> {
    if (!this.events) {
      this.connection = createRedis(this.url, 'worker');
      this.events = new QueueEvents(this.queue, { connection: this.connection, prefix: this.prefix });
      await this.events.waitUntilReady();
    }
    return this.events;
  }

  /** Enqueues `name` and resolves with the processor's return value; INFERENCE_TIMEOUT after `timeoutMs`. */
  async request<N extends RequestJobName>(name: N, payload: PayloadOf<N>, timeoutMs: number): Promise<ResultOf<N>> {
    const events = await this.queueEvents();
    const ref = await this.producer.enqueue(name, payload);
    const job = await this.producer.queue(ref.queue).getJob(ref.id);
    if (!job) throw Errors.QUEUE_UNAVAILABLE('the request vanished from its queue');
    let answer: unknown;
    try {
      answer = await job.waitUntilFinished(events, timeoutMs);
    } catch (err) {
      const message = (err as Error).message ?? '';
      const coded = /^\[([A-Z_]+)\] (.*)$/s.exec(message);
      const known = coded ? errorOfCode(coded[1]!, coded[2]!) : null;
      if (known) throw known;
      if (/timed out/i.test(message)) {
        await this.producer.removeWaiting(ref).catch(() => false);
        throw Errors.INFERENCE_TIMEOUT(`no worker answered within ${timeoutMs} ms; is a worker serving the ${this.queue} queue?`);
      }
      throw Errors.INTERNAL('the request failed; the worker log has the details', { cause: err });
    }
    try {
      return resultChecker(name).parse(answer, `the worker's ${name} answer`);
    } catch (err) {
      // not the caller's mistake: a worker of another version, or a bug, answered this
      throw Errors.INTERNAL(`the worker's answer to ${name} has an unexpected shape`, { cause: err });
    }
  }

  async close(): Promise<void> {
    const { events, connection } = this;
    this.events = null;
    this.connection = null;
    await events?.close();
    await connection?.quit().catch(() => connection.disconnect());
  }
}
