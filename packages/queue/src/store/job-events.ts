/**
 * Job change notices: every record write and progress tick publishes the job id on one Redis
 * channel, so a gateway can stream changes (`GET /jobs/<id>/events`) without polling.
 */
import { createRedis, storeKey, type Redis } from '../redis.ts';

export const jobChangesChannel = (prefix: string) => storeKey(prefix, 'changes');

/** Tells listeners that job `id` changed (best effort: a lost notice only delays a stream). */
export async function publishJobChange(redis: Redis, prefix: string, id: string): Promise<void> {
  await redis.publish(jobChangesChannel(prefix), id).catch(() => 0);
}

/**
 * One subscriber connection fanning notices out to per-job listeners; connects on first use.
 * `listen` returns the function that stops listening.
 */
export class JobChangeHub {
  private subscriber: Redis | null = null;
  private ready: Promise<void> | null = null;
  private readonly listeners = new Map<string, Set<() => void>>();
  private readonly everyJob = new Set<(id: string) => void>();

  constructor(private readonly url: string, private readonly prefix: string) {}

  private connect(): Promise<void> {
    this.ready ??= (async () => {
      const subscriber = createRedis(this.url, 'subscriber');
      this.subscriber = subscriber;
      const channel = jobChangesChannel(this.prefix);
      subscriber.on('message', (ch: string, id: string) => {
        if (ch !== channel) return;
        for (const listener of this.listeners.get(id) ?? []) listener();
        for (const listener of this.everyJob) listener(id);
      });
      await subscriber.subscribe(channel);
    })();
    return this.ready;
  }

  async listen(id: string, onChange: () => void): Promise<() => void> {
    await this.connect();
    let set = this.listeners.get(id);
    if (!set) this.listeners.set(id, (set = new Set()));
    set.add(onChange);
    return () => {
      set.delete(onChange);
      if (set.size === 0) this.listeners.delete(id);
    };
  }

  /** Listens to every job's notices (the home page's live tables). */
  async listenAll(onChange: (id: string) => void): Promise<() => void> {
    await this.connect();
    this.everyJob.add(onChange);
    return () => this.everyJob.delete(onChange);
  }

  async close(): Promise<void> {
    const subscriber = this.subscriber;
    this.subscriber = null;
    this.ready = null;
    if (subscriber) await subscriber.quit().catch(() => subscriber.disconnect());
  }
}
