/**
 * The real gateway and a real worker on real Redis, in this process, for one test file:
 * temp JOBS_DIR and data root, own key prefix, everything torn down after.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import type { Test } from 'tap';
import type { JobRecord, WorkerInfo } from '@digits-ts/contracts';
import { loadGatewayConfig, loadWorkerConfig } from '@digits-ts/config';
import { createLogger } from '@digits-ts/logger';
import { buildApp } from '../../apps/gateway/src/app.ts';
import { startWorker, type WorkerHandle } from '../../apps/worker/src/worker.ts';
import { closeJobWaits, untilJob, type JobWaitSource } from './job-waits.ts';
import { dropPrefix, redisUrl, testPrefix } from './redis.ts';

export interface Stack {
  app: FastifyInstance;
  worker: WorkerHandle | null;
  jobsDir: string;
  dataDir: string;
  redisUrl: string;
  prefix: string;
  env: Record<string, string>;
  /** Builds a second gateway on the same Redis and folders (e.g. after a restart). */
  restartGateway(): Promise<FastifyInstance>;
}

interface Teardown { teardown(fn: () => unknown): void }

/** The Redis and prefix behind each gateway a stack built, for waits on its job notices. */
const sources = new WeakMap<FastifyInstance, JobWaitSource>();

const quiet = () => createLogger({ level: process.env.TEST_LOG_LEVEL ?? 'silent', name: 'test' });

/** Starts the stack; `worker: false` leaves jobs waiting in their queues. */
export async function startStack(t: Teardown, options: { worker?: boolean; env?: Record<string, string> } = {}): Promise<Stack> {
  const root = await fs.mkdtemp(path.join(os.tmpdir(), 'digits-ts-'));
  const jobsDir = path.join(root, 'jobs');
  const dataDir = path.join(root, 'data');
  await fs.mkdir(dataDir, { recursive: true });
  const url = await redisUrl();
  const prefix = testPrefix();
  // the in-process worker shares the gateway's event loop, so its busy stretches must not shed
  // the test's requests (a test of load shedding sets its own PRESSURE_*). TF_BACKEND=wasm: the
  // tests' engine whether or not `npm run engine` installed tensorflow here (auto would take it);
  // the tests of that engine ask for it.
  const env = { REDIS_URL: url, QUEUE_PREFIX: prefix, JOBS_DIR: jobsDir, DATA_ROOTS: dataDir, DATASET_THREADS: '2', PRESSURE_MAX_EVENT_LOOP_DELAY_MS: '0', TF_BACKEND: 'wasm', ...options.env };
  const apps: FastifyInstance[] = [];
  const makeApp = async () => {
    const app = await buildApp({ config: loadGatewayConfig(env), logger: quiet() });
    await app.ready();
    apps.push(app);
    sources.set(app, { redisUrl: env.REDIS_URL, prefix: env.QUEUE_PREFIX });
    return app;
  };
  const app = await makeApp();
  const worker = options.worker === false ? null : await startWorker(loadWorkerConfig(env), quiet());
  t.teardown(async () => {
    await worker?.close();
    for (const a of apps) await a.close();
    await closeJobWaits({ redisUrl: env.REDIS_URL, prefix: env.QUEUE_PREFIX });
    await dropPrefix(url, prefix);
    await fs.rm(root, { recursive: true, force: true });
  });
  return { app, worker, jobsDir, dataDir, redisUrl: url, prefix, env, restartGateway: makeApp };
}

/** Logs in through `POST /login` and returns the session cookie header. */
export async function login(app: FastifyInstance, username: string): Promise<string> {
  const res = await app.inject({ method: 'POST', url: '/login', payload: `username=${encodeURIComponent(username)}`, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
  // the raw (still URL-encoded) pair, as a browser or curl would send it back
  const raw = [res.headers['set-cookie'] ?? []].flat().find((c) => c.startsWith('username='));
  if (res.statusCode !== 302 || !raw) throw new Error(`login as ${username} failed: ${res.statusCode} ${res.body}`);
  return raw.split(';')[0]!;
}

const RUNNING = ['Initialized', 'Waiting', 'Running'];

function sourceOf(app: FastifyInstance): JobWaitSource {
  const source = sources.get(app);
  if (!source) throw new Error('waiting on a job needs a gateway built by startStack');
  return source;
}

/**
 * A job's status from its status route once it leaves the running states: checked after each
 * change notice of the job, bounded by `timeoutMs`.
 */
export async function waitForStatus(app: FastifyInstance, id: string, timeoutMs = 60_000): Promise<string> {
  let last = '';
  return untilJob(sourceOf(app), id, async () => {
    const res = await app.inject({ url: `/jobs/${id}/status` });
    // an error answer (Redis away for a moment) is no status: wait for the next notice
    if (res.statusCode >= 400 && res.statusCode < 500) throw new Error(`job ${id}: status route answered ${res.statusCode} ${res.body}`);
    if (res.statusCode !== 200) {
      last = `answering ${res.statusCode}`;
      return undefined;
    }
    last = (res.json() as { status: string }).status;
    return RUNNING.includes(last) ? undefined : last;
  }, { timeoutMs, what: 'final status', describe: () => `still ${last}` });
}

/** Asserts that model job `id` ends Done, with the job's error as the message otherwise. */
export async function expectModelDone(t: Pick<Test, 'equal'>, app: FastifyInstance, id: string, timeoutMs: number): Promise<void> {
  t.equal(await waitForStatus(app, id, timeoutMs), 'Done', JSON.stringify((await app.inject(`/models/${id}.json`)).json().error ?? null));
}

/** Waits until the job's record satisfies `ready` (checked after each change notice); returns it. */
export async function waitForRecord(stack: Pick<Stack, 'app'>, id: string, what: string, ready: (r: JobRecord) => boolean, timeoutMs = 120_000, describe?: () => string): Promise<JobRecord> {
  let last: JobRecord | null = null;
  return untilJob(sourceOf(stack.app), id, async () => {
    last = await stack.app.services.store.get(id);
    return last && ready(last) ? last : undefined;
  }, { timeoutMs, what, describe: () => `${last ? `${last.status} progress ${last.progress} epoch ${last.model?.epoch}` : 'no record'}${describe ? `\n${describe()}` : ''}` });
}

/** A multipart body from fields and files, for inject(). */
export function multipart(fields: Record<string, string>, files: Record<string, { filename: string; data: Buffer | string }> = {}): { payload: Buffer; headers: Record<string, string> } {
  const boundary = `----digits${Math.random().toString(16).slice(2)}`;
  const parts: Buffer[] = [];
  for (const [name, value] of Object.entries(fields)) {
    parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`));
  }
  for (const [name, file] of Object.entries(files)) {
    parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${name}"; filename="${file.filename}"\r\nContent-Type: application/octet-stream\r\n\r\n`));
    parts.push(Buffer.isBuffer(file.data) ? file.data : Buffer.from(file.data));
    parts.push(Buffer.from('\r\n'));
  }
  parts.push(Buffer.from(`--${boundary}--\r\n`));
  return { payload: Buffer.concat(parts), headers: { 'content-type': `multipart/form-data; boundary=${boundary}` } };
}

export type { LightMyRequestResponse };

/** classify_one.json with an image file: the predictions, or an error naming the answer. */
export async function classifyOne(stack: Stack, modelId: string, image: string): Promise<[string, number][]> {
  const body = multipart({ job_id: modelId }, { image_file: { filename: path.basename(image), data: await fs.readFile(image) } });
  const res = await stack.app.inject({ method: 'POST', url: '/models/images/classification/classify_one.json', payload: body.payload, headers: body.headers });
  if (res.statusCode !== 200) throw new Error(`classify_one answered ${res.statusCode}: ${res.body}`);
  return (res.json() as { predictions: [string, number][] }).predictions;
}

/** The workers /workers.json lists. */
export async function listWorkers(stack: Stack): Promise<WorkerInfo[]> {
  return ((await stack.app.inject('/workers.json')).json() as { workers: WorkerInfo[] }).workers;
}
