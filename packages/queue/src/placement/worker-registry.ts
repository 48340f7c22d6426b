/**
 * Live workers in Redis: each process keeps a key `…:workers:<id>` alive with a heartbeat; a
 * process that dies (or whose heartbeat stops) drops out when the key's TTL runs out.
 */
import { compileChecker, WorkerInfo } from '@digits-ts/contracts';
import { storeKey, type Redis } from '../redis.ts';

const infoChecker = compileChecker(WorkerInfo);
const keyOf = (prefix: string, id: string) => storeKey(prefix, 'workers', id);

/** Announces one worker every `ttlMs / 3` until stopped; `describe` is read at each beat. */
export class WorkerHeartbeat {
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly redis: Redis, private readonly prefix: string, private readonly ttlMs: number, private readonly describe: () => WorkerInfo) {}

  /** Writes the first beat now (so the worker is listed once start resolves), then beats on a timer. */
  async start(): Promise<void> {
    await this.beat();
    this.timer = setInterval(() => void this.beat().catch(() => {}), Math.max(50, Math.floor(this.ttlMs / 3)));
    this.timer.unref();
  }

  private async beat(): Promise<void> {
    const info = this.describe();
    await this.redis.set(keyOf(this.prefix, info.id), JSON.stringify(info), 'PX', this.ttlMs);
  }

  /** Stops beating; the entry then expires within the TTL (a crash looks the same). */
  pause(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** Stops beating and removes the entry at once (a clean shutdown). */
  async stop(): Promise<void> {
    this.pause();
    await this.redis.del(keyOf(this.prefix, this.describe().id));
  }
}

/** Every live worker, by id; entries that do not parse are skipped (another version wrote them). */
export async function listWorkers(redis: Redis, prefix: string): Promise<WorkerInfo[]> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await redis.scan(cursor, 'MATCH', keyOf(prefix, '*'), 'COUNT', 200);
    keys.push(...batch);
    cursor = next;
  } while (cursor !== '0');
  if (keys.length === 0) return [];
  const values = await redis.mget(...keys);
  return values
    .flatMap((v) => {
      if (v === null) return [];
      try {
        const parsed: unknown = JSON.parse(v);
        return infoChecker.check(parsed) ? [parsed] : [];
      } catch {
        return [];
      }
    })
    .sort((a, b) => a.id.localeCompare(b.id));
}
