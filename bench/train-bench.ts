/**
 * What the training benchmarks through the stack (bench/train-segmentation, train-detection,
 * train-regression) share: their common arguments, a gateway and a worker in this process, the
 * model's figures after training, and a PyTorch anchor's JSON line.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs/promises';
import { parseArgs } from 'node:util';
import type { FastifyInstance } from 'fastify';
import { loadGatewayConfig, loadWorkerConfig } from '@digits-ts/config';
import { createLogger } from '@digits-ts/logger';
import { buildApp } from '../apps/gateway/src/app.ts';
import { startWorker } from '../apps/worker/src/worker.ts';
import { benchForm } from './stack-helpers.ts';

const PYTHON = '/usr/bin/python3';

type CommonArgs = { threads: string; 'skip-torch': boolean; 'redis-url': string };

/** Parses the bench's own string options (name → default) beside --threads, --skip-torch and --redis-url. */
export function trainBenchArgs<K extends string>(defaults: Record<K, string>): Record<K, string> & CommonArgs {
  const own = Object.fromEntries(Object.entries(defaults).map(([name, value]) => [name, { type: 'string' as const, default: value as string }]));
  return parseArgs({ options: {
    ...own,
    threads: { type: 'string', default: '2' },
    'skip-torch': { type: 'boolean', default: false },
    'redis-url': { type: 'string', default: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379' },
  } }).values as Record<K, string> & CommonArgs;
}

export interface TrainStack {
  app: FastifyInstance;
  /** Builds a urlencoded form request carrying the bench user's session. */
  form: Awaited<ReturnType<typeof benchForm>>;
  /** Closes the worker and the gateway and removes `root`. */
  close(): Promise<void>;
}

/** A gateway and a worker (all queues) on a fresh queue prefix, training on `args.threads` threads. */
export async function startTrainStack(args: CommonArgs, root: string, dirs: { jobs: string; dataRoots: string }): Promise<TrainStack> {
  const env = { REDIS_URL: args['redis-url'], QUEUE_PREFIX: `bench-${process.pid}`, JOBS_DIR: dirs.jobs, DATA_ROOTS: dirs.dataRoots, LOG_LEVEL: 'warn', TRAIN_THREADS: args.threads };
  const log = createLogger({ level: 'warn', name: 'bench' });
  const app = await buildApp({ config: loadGatewayConfig(env), logger: log });
  const worker = await startWorker(loadWorkerConfig(env), log);
  const close = async () => {
    await worker.close();
    await app.close();
    await fs.rm(root, { recursive: true, force: true });
  };
  try {
    return { app, form: await benchForm(app), close };
  } catch (err) {
    await close();
    throw err;
  }
}

/** The model's show JSON and training JSON in one object (`T`: the training figures a bench reads). */
export async function modelFigures<T extends object>(app: FastifyInstance, id: string): Promise<{ 'tfjs backend': string; 'images per second': number } & T> {
  return {
    ...((await app.inject(`/models/${id}.json`)).json() as { 'tfjs backend': string }),
    ...((await app.inject(`/models/${id}/training.json`)).json() as { 'images per second': number } & T),
  };
}

/** Runs a PyTorch anchor script with `argv` under Debian's Python; returns its last stdout line as JSON. */
export function torchAnchor<T>(script: URL, argv: string[]): T {
  const torch = spawnSync(PYTHON, [script.pathname, ...argv], { encoding: 'utf8' });
  if (torch.status !== 0) throw new Error(`PyTorch anchor failed: ${torch.stderr}`);
  return JSON.parse(torch.stdout.trim().split('\n').at(-1)!) as T;
}
