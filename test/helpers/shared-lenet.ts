/**
 * One small trained LeNet per tap run, for the test files that need *a* trained model (classify,
 * inference, downloads) rather than a test of training. The first file to ask builds an MNIST
 * subset and trains LeNet through the real stack into a cache folder keyed by the tap run; files
 * asking meanwhile wait for it (an exclusive lock file, and a watch on the folder it appears in)
 * instead of training again. Each file then copies the job folders into its own JOBS_DIR and
 * loads them the way a gateway does after Redis was emptied (rebuildFromDisk), so it still owns
 * its data. Files that test training itself keep training their own models.
 */
import { readFileSync } from 'node:fs';
import fs from 'node:fs/promises';
import { watch } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { writeMnistPngs } from '../../scripts/mnist.ts';
import { createDataset } from './datasets.ts';
import { login, multipart, startStack, waitForStatus, type Stack } from './stack.ts';

/** What the shared model was trained with (also what its users may assert about it). */
export const SHARED_LENET = { perClass: 100, epochs: 5, seed: 1 } as const;

export interface SharedLenet {
  datasetId: string;
  modelId: string;
  /** MNIST PNGs (train/ and test/, `perClass` of each digit) inside the stack's DATA_ROOTS. */
  mnistDir: string;
}

interface Built { datasetId: string; modelId: string }

const CACHE_PREFIX = 'digits-ts-test-lenet-';
const WAIT_MS = 240_000;

/** A process's start time (clock ticks since boot), so a reused pid names another run. */
function startTime(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null;
  } catch {
    return null;
  }
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/** The run is the test file's parent (the tap runner, or the shell for a file run alone). */
function runKey(): string {
  return `${process.ppid}-${startTime(process.ppid) ?? '0'}`;
}

/** Cache folders of runs whose runner is gone (the run never says when it ends). */
async function removeStale(): Promise<void> {
  for (const name of await fs.readdir(os.tmpdir()).catch(() => [] as string[])) {
    const m = new RegExp(`^${CACHE_PREFIX}(\\d+)-(\\d+)`).exec(name);
    if (!m || (alive(Number(m[1])) && startTime(Number(m[1])) === m[2])) continue;
    await fs.rm(path.join(os.tmpdir(), name), { recursive: true, force: true });
  }
}

/** Trains the model through a stack of its own and leaves its job folders and PNGs in `dir`. */
async function build(dir: string): Promise<void> {
  const teardowns: (() => unknown)[] = [];
  try {
    const stack = await startStack({ teardown: (fn) => teardowns.push(fn) });
    const mnistDir = path.join(stack.dataDir, 'mnist');
    await writeMnistPngs(mnistDir, { splits: ['train', 'test'], perClass: SHARED_LENET.perClass });
    const cookie = await login(stack.app, 'alice');
    const ds = await createDataset(stack.app, cookie, { dataset_name: 'mnist', folder_train: path.join(mnistDir, 'train'), resize_channels: '1', resize_width: '28', resize_height: '28' });
    const datasetId = (ds.json() as { id: string }).id;
    const body = multipart({ model_name: 'lenet', dataset: datasetId, framework: 'tensorflow', method: 'standard', standard_networks: 'lenet', train_epochs: String(SHARED_LENET.epochs), shuffle: 'true', random_seed: String(SHARED_LENET.seed) });
    const res = await stack.app.inject({ method: 'POST', url: '/models/images/classification.json', payload: body.payload, headers: { ...body.headers, cookie } });
    if (res.statusCode !== 200) throw new Error(`shared LeNet: ${res.body}`);
    const modelId = (res.json() as { id: string }).id;
    const status = await waitForStatus(stack.app, modelId, WAIT_MS);
    if (status !== 'Done') throw new Error(`shared LeNet ended ${status}`);
    const staging = `${dir}.staging`;
    await fs.rm(staging, { recursive: true, force: true });
    for (const id of [datasetId, modelId]) await fs.cp(path.join(stack.jobsDir, id), path.join(staging, 'jobs', id), { recursive: true });
    await fs.cp(mnistDir, path.join(staging, 'mnist'), { recursive: true });
    await fs.writeFile(path.join(staging, 'built.json'), JSON.stringify({ datasetId, modelId } satisfies Built));
    // the rename is what waiting files watch for: the folder appears complete or not at all
    await fs.rename(staging, dir);
  } finally {
    for (const fn of teardowns.reverse()) await fn();
  }
}

/** Resolves once `dir` exists (watching its parent), or rejects when the builder is gone or late. */
async function waitFor(dir: string, lock: string, holder: number): Promise<void> {
  const parent = path.dirname(dir);
  await new Promise<void>((resolve, reject) => {
    const check = async () => {
      if (await fs.stat(dir).then(() => true, () => false)) return done();
      // the builder removes its lock when it ends, after the rename if it succeeded
      if (!alive(holder) || !(await fs.stat(lock).then(() => true, () => false))) {
        if (!(await fs.stat(dir).then(() => true, () => false))) done(new Error('the shared LeNet builder stopped without a model'));
        else done();
      }
    };
    const watcher = watch(parent, () => void check());
    const timer = setTimeout(() => done(new Error(`no shared LeNet after ${WAIT_MS} ms (built by pid ${holder})`)), WAIT_MS);
    const done = (err?: Error) => {
      watcher.close();
      clearTimeout(timer);
      if (err) reject(err);
      else resolve();
    };
    void check();
  });
}

/** The cache folder with the trained model, built once per run. */
async function cached(): Promise<{ dir: string; built: Built }> {
  const dir = path.join(os.tmpdir(), `${CACHE_PREFIX}${runKey()}`);
  const lock = `${dir}.lock`;
  const read = async () => ({ dir, built: JSON.parse(await fs.readFile(path.join(dir, 'built.json'), 'utf8')) as Built });
  for (let attempt = 0; attempt < 2; attempt++) {
    if (await fs.stat(dir).then(() => true, () => false)) return read();
    let handle: fs.FileHandle | null = null;
    try {
      handle = await fs.open(lock, 'wx');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    if (handle) {
      try {
        await handle.writeFile(String(process.pid));
        await handle.close();
        await removeStale();
        await build(dir);
        return read();
      } finally {
        await fs.rm(lock, { force: true });
      }
    }
    const holder = Number(await fs.readFile(lock, 'utf8').catch(() => '0'));
    // a lock left by a builder that died: take it over on the next attempt
    if (holder > 0 && !alive(holder)) {
      await fs.rm(lock, { force: true });
      continue;
    }
    await waitFor(dir, lock, holder);
    return read();
  }
  throw new Error('could not build or find the shared LeNet');
}

/** Copies the shared dataset and LeNet model into `stack` (its JOBS_DIR, Redis and DATA_ROOTS). */
export async function importSharedLenet(stack: Stack): Promise<SharedLenet> {
  const { dir, built } = await cached();
  for (const id of [built.datasetId, built.modelId]) await fs.cp(path.join(dir, 'jobs', id), path.join(stack.jobsDir, id), { recursive: true });
  const mnistDir = path.join(stack.dataDir, 'mnist');
  await fs.cp(path.join(dir, 'mnist'), mnistDir, { recursive: true });
  const loaded = await stack.app.services.store.rebuildFromDisk();
  for (const id of [built.datasetId, built.modelId]) {
    if (!loaded.some((r) => r.id === id && r.status === 'D')) throw new Error(`shared job ${id} did not load from ${stack.jobsDir}`);
  }
  return { ...built, mnistDir };
}
