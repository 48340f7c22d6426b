/**
 * The job store. `<JOBS_DIR>/<id>/job.json` is the durable record; Redis holds the index
 * (a sorted set by creation time), a copy of each record and its live progress, and a version
 * token that every write replaces, so list() can keep what it read until something changes.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { appendStatus, Errors, formatJobId, isJobId, type JobRecord, type StatusCode } from '@digits-ts/contracts';
import { jobFolderOf, readJobFile, writeJobFile } from './job-files.ts';
import { storeKey, type Redis } from '../redis.ts';
import { publishJobChange } from './job-events.ts';

const MAX_UPDATE_TRIES = 20;

/** A fresh value for the version key: unique, so a wiped and rebuilt Redis never matches an old one. */
const newVersion = () => randomBytes(8).toString('hex');

export class JobStore {
  /** The records list() last read, with the version they were read at (shared by concurrent calls). */
  private listed: { version: string; records: Promise<readonly JobRecord[]> } | null = null;

  constructor(private readonly redis: Redis, private readonly prefix: string, readonly jobsDir: string) {}

  private key(...parts: string[]): string {
    return storeKey(this.prefix, ...parts);
  }

  private get versionKey(): string {
    return this.key('jobs-version');
  }

  /** The folder of job `id`; ids are validated so a crafted id can't name another folder. */
  jobDir(id: string): string {
    if (!isJobId(id)) throw Errors.JOB_NOT_FOUND('Job not found');
    return path.join(this.jobsDir, id);
  }

  /**
   * Whether `target` lies below the folder of a dataset job (infer_db may read a dataset's own
   * DBs, §10.5). `jobsDir` is JOBS_DIR as the caller compares it: as configured for a path taken
   * lexically, its real path for a real path.
   */
  async holdsDataset(target: string, jobsDir: string = this.jobsDir): Promise<boolean> {
    const id = jobFolderOf(target, jobsDir);
    return id !== null && (await this.get(id).catch(() => null))?.kind === 'dataset';
  }

  /**
   * Reserves a new id and creates its folder. An id is never handed out twice: the folder is
   * made exclusively and the id is added to a set that deletions never shrink.
   */
  async reserveId(now = new Date()): Promise<string> {
    await fs.mkdir(this.jobsDir, { recursive: true });
    for (;;) {
      const id = formatJobId(now, randomBytes(2).toString('hex'));
      if ((await this.redis.sadd(this.key('ids'), id)) === 0) continue;
      try {
        await fs.mkdir(path.join(this.jobsDir, id));
        return id;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
    }
  }

  /** Stores a new record (its folder must exist, see reserveId). */
  async create(record: JobRecord): Promise<void> {
    await writeJobFile(this.jobDir(record.id), record);
    await this.redis.multi()
      .hset(this.key('job', record.id), 'record', JSON.stringify(record), 'progress', String(record.progress))
      .zadd(this.key('jobs'), record.created, record.id)
      .set(this.versionKey, newVersion())
      .exec();
  }

  /** The record of `id` with its live progress, or null. */
  async get(id: string): Promise<JobRecord | null> {
    const [text, progress] = await this.redis.hmget(this.key('job', id), 'record', 'progress');
    return text ? withProgress(JSON.parse(text) as JobRecord, progress) : null;
  }

  /**
   * Every stored record, newest first. Reading 1 000 records costs tens of milliseconds, so the
   * same array is handed back while the version key is unchanged: callers must not modify the
   * records, and may key what they derive from them on the array.
   */
  async list(): Promise<readonly JobRecord[]> {
    // the version is read before the records: a write in between leaves newer records under an
    // older version, which the next call reads again
    const version = await this.redis.get(this.versionKey);
    if (version === null) return this.readAll(); // no write since Redis was emptied: nothing to trust
    let listed = this.listed;
    if (listed?.version !== version) {
      const reading = { version, records: this.readAll().then((records) => Object.freeze(records)) };
      reading.records.catch(() => {
        if (this.listed === reading) this.listed = null; // a failed read is not kept
      });
      this.listed = listed = reading;
    }
    return listed.records;
  }

  private async readAll(): Promise<JobRecord[]> {
    const ids = await this.redis.zrevrange(this.key('jobs'), 0, -1);
    if (ids.length === 0) return [];
    const pipeline = this.redis.pipeline();
    for (const id of ids) pipeline.hmget(this.key('job', id), 'record', 'progress');
    const rows = (await pipeline.exec()) ?? [];
    const records: JobRecord[] = [];
    for (const [err, value] of rows) {
      const [text, progress] = (value as (string | null)[] | null) ?? [];
      if (!err && text) records.push(withProgress(JSON.parse(text) as JobRecord, progress ?? null));
    }
    return records;
  }

  /**
   * Read-modify-write of one record, safe across processes (WATCH/MULTI). `change` returns the
   * new record, or null to leave it alone. Returns the stored record, or null if there is none.
   */
  async update(id: string, change: (record: JobRecord) => JobRecord | null): Promise<JobRecord | null> {
    const key = this.key('job', id);
    for (let attempt = 0; attempt < MAX_UPDATE_TRIES; attempt++) {
      const conn = await this.watchConnection();
      try {
        await conn.watch(key);
        const [text, progress] = await conn.hmget(key, 'record', 'progress');
        if (!text) return null;
        const current = withProgress(JSON.parse(text) as JobRecord, progress);
        const changed = change(structuredClone(current));
        if (!changed) return current;
        const next = { ...changed, rev: current.rev + 1 };
        const result = await conn.multi().hset(key, 'record', JSON.stringify(next), 'progress', String(next.progress)).set(this.versionKey, newVersion()).exec();
        if (result === null) continue; // someone else wrote in between: try again
        await this.syncFile(id, next);
        await publishJobChange(this.redis, this.prefix, id);
        return next;
      } finally {
        await conn.unwatch().catch(() => undefined);
        this.releaseWatchConnection(conn);
      }
    }
    throw Errors.STORAGE_FAILED(`job ${id} is being changed by too many writers`);
  }

  /**
   * Writes job.json, then re-reads Redis: if another writer committed a newer revision meanwhile,
   * its file write may have lost the race against ours, so the newest record is written again.
   */
  private async syncFile(id: string, written: JobRecord): Promise<void> {
    let record = written;
    for (let i = 0; i < MAX_UPDATE_TRIES; i++) {
      try {
        await writeJobFile(this.jobDir(id), record);
      } catch {
        return; // the folder is gone: the job was deleted
      }
      const text = await this.redis.hget(this.key('job', id), 'record');
      if (!text) return;
      const latest = JSON.parse(text) as JobRecord;
      if (latest.rev <= record.rev) return;
      record = latest;
    }
  }

  /** Moves a job to `code`, following DIGITS' history rules (Done forces progress to 1). */
  async setStatus(id: string, code: StatusCode, error?: { code: string; message: string }): Promise<JobRecord | null> {
    return this.update(id, (record) => {
      const history = appendStatus(record.statusHistory, code, Date.now() / 1000);
      if (!history && !error) return null;
      return {
        ...record,
        status: code,
        statusHistory: history ?? record.statusHistory,
        progress: code === 'D' ? 1 : record.progress,
        error: error ?? (code === 'A' || code === 'E' ? record.error : null),
      };
    });
  }

  /** Live progress (0..1): Redis only, no file write, cheap enough to call every second. */
  async setProgress(id: string, progress: number): Promise<void> {
    const key = this.key('job', id);
    // only for a job that still exists; a deleted job must not be resurrected as a bare hash
    await this.redis.eval(
      "if redis.call('exists', KEYS[1]) == 1 then redis.call('hset', KEYS[1], 'progress', ARGV[1]); redis.call('set', KEYS[2], ARGV[2]) end",
      2, key, this.versionKey, String(Math.min(1, Math.max(0, progress))), newVersion(),
    );
    await publishJobChange(this.redis, this.prefix, id);
  }

  /** Removes a job's record, index entry and folder. */
  async remove(id: string): Promise<void> {
    const dir = this.jobDir(id);
    await this.redis.multi().del(this.key('job', id)).zrem(this.key('jobs'), id).set(this.versionKey, newVersion()).exec();
    await fs.rm(dir, { recursive: true, force: true });
  }

  /** Number of jobs in the index. */
  async count(): Promise<number> {
    return this.redis.zcard(this.key('jobs'));
  }

  /**
   * Rebuilds an empty index from JOBS_DIR (after Redis was emptied). Folders whose job.json is
   * missing or invalid are skipped, as DIGITS skips jobs that fail to load. Returns the records.
   */
  async rebuildFromDisk(): Promise<JobRecord[]> {
    let names: string[];
    try {
      names = await fs.readdir(this.jobsDir);
    } catch {
      return [];
    }
    const loaded: JobRecord[] = [];
    for (const name of names) {
      if (!isJobId(name)) continue;
      const record = await readJobFile(path.join(this.jobsDir, name));
      if (!record || record.id !== name) continue;
      await this.redis.multi()
        .sadd(this.key('ids'), record.id)
        .hsetnx(this.key('job', record.id), 'record', JSON.stringify(record))
        .hsetnx(this.key('job', record.id), 'progress', String(record.progress))
        .zadd(this.key('jobs'), record.created, record.id)
        .set(this.versionKey, newVersion())
        .exec();
      loaded.push(record);
    }
    return loaded;
  }

  // WATCH is per connection, so each concurrent update borrows its own duplicate.
  private idle: Redis[] = [];
  private async watchConnection(): Promise<Redis> {
    return this.idle.pop() ?? this.redis.duplicate();
  }
  private releaseWatchConnection(conn: Redis): void {
    if (this.idle.length < 4) this.idle.push(conn);
    else conn.disconnect();
  }

  /** Closes the connections this store opened (not the one it was given). */
  async close(): Promise<void> {
    const idle = this.idle;
    this.idle = [];
    await Promise.all(idle.map((c) => c.quit().catch(() => c.disconnect())));
  }
}

function withProgress(record: JobRecord, progress: string | null | undefined): JobRecord {
  const live = progress === null || progress === undefined ? NaN : Number(progress);
  return Number.isFinite(live) ? { ...record, progress: live } : record;
}

