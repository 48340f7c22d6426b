/**
 * Benchmark: building an ImageNet-like dataset (photo-like JPEGs of mixed sizes, resized to
 * 256×256 colour) with our worker pipeline (`buildDataset`), against a PIL + py-lmdb anchor doing
 * DIGITS' per-image work on the same files and the same number of cores; then the training half
 * (`train.ts`, when present).
 *
 *   npm run bench:dataset-scale -- [--images 200000] [--cache <dir>] [--threads <n>]
 *     [--modes squash] [--encodings png] [--size 256] [--classes 100] [--runs 1] [--no-pil] [--no-train]
 *     [--digits-threads]   (also time DIGITS as shipped: 10 load threads in one Python process)
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs/promises';
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Piscina } from 'piscina';
import type { DatasetBuildOptions } from '@digits-ts/contracts';
import { createRandom, openDbReader } from '@digits-ts/dataset';
import type { ImageEncoding, ResizeMode } from '@digits-ts/imaging';
import { buildDataset } from '../../apps/worker/src/dataset-build/build.ts';
import { createImagePool, threadpoolFor, type ImagePool } from '../../apps/worker/src/dataset-build/image-pool.ts';
import type { GenerateTask } from './generate-thread.ts';

const PYTHON = '/usr/bin/python3';
const HERE = path.dirname(fileURLToPath(import.meta.url));
const PIL_SCRIPT = path.join(HERE, 'pil_scale.py');
const TRAIN_SCRIPT = path.join(HERE, 'train.ts');
const MAX_PIXELS = 8192 * 8192; // IMAGE_MAX_PIXELS default
const SEED = 1;
const PCT_VAL = 25;
/** create_db's load threads: min(10, round(sqrt(batch of 100))). */
const DIGITS_THREADS = 10;
/** Images per generator task: a few seconds of work, so progress shows. */
const GENERATE_BATCH = 50;

const { values: args } = parseArgs({
  options: {
    images: { type: 'string', default: '200000' },
    cache: { type: 'string', default: path.join(os.homedir(), '.cache', 'digits-ts', 'dataset-scale') },
    threads: { type: 'string', default: String(os.availableParallelism()) },
    modes: { type: 'string', default: 'squash' },
    encodings: { type: 'string', default: 'png' },
    size: { type: 'string', default: '256' },
    classes: { type: 'string', default: '100' },
    runs: { type: 'string', default: '1' },
    'no-pil': { type: 'boolean', default: false },
    'digits-threads': { type: 'boolean', default: false },
    'no-train': { type: 'boolean', default: false },
  },
});
const images = Number(args.images);
const threads = Number(args.threads);
const size = Number(args.size);
const classes = Math.max(2, Math.min(Number(args.classes), Math.floor(images / 4)));
const runs = Number(args.runs);
const modes = args.modes.split(',') as ResizeMode[];
const encodings = args.encodings.split(',') as ImageEncoding[];

interface Figures { seconds: number; cpuSeconds: number; train: number; val: number; entryBytes: number; note: string }

const rate = (n: number, seconds: number) => Math.round(n / seconds);
const kib = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;

/** sharp's pipelines run on libuv's threadpool (4 threads unless set before the process starts). */
function threadpoolSize(): number {
  return Number(process.env.UV_THREADPOOL_SIZE) || 4;
}

/** Re-runs this script with a libuv threadpool as large as the image threads need, as the worker must be started. */
function rerunWithThreadpool(): number | null {
  if (process.env.UV_THREADPOOL_SIZE) return null;
  const env = { ...process.env, UV_THREADPOOL_SIZE: String(threadpoolFor(threads)) };
  return spawnSync(process.execPath, [...process.execArgv, ...process.argv.slice(1)], { stdio: 'inherit', env }).status ?? 1;
}

// ---- the photos ----------------------------------------------------------------------------

/** Writes the photos 0..n-1 not yet in `pool`, on every core. */
async function generateMissing(pool: string, n: number): Promise<void> {
  await fs.mkdir(pool, { recursive: true });
  const have = new Set(await fs.readdir(pool));
  const name = (i: number) => `${String(i).padStart(7, '0')}.jpg`;
  const missing = Array.from({ length: n }, (_, i) => i).filter((i) => !have.has(name(i)));
  if (missing.length === 0) return;
  console.log(`photos: generating ${missing.length} of ${n} into ${pool} (${threads} threads)`);
  const workers = new Piscina({ filename: new URL('./generate-thread.ts', import.meta.url).href, minThreads: threads, maxThreads: threads });
  const started = performance.now();
  let done = 0;
  let bytes = 0;
  let reported = 0;
  try {
    const tasks: Array<Promise<void>> = [];
    for (let k = 0; k < missing.length; k += GENERATE_BATCH) {
      const batch = missing.slice(k, k + GENERATE_BATCH);
      const task: GenerateTask = { seed: SEED, files: batch.map((i) => [i, path.join(pool, name(i))]) };
      tasks.push((workers.run(task) as Promise<number>).then((b) => {
        done += batch.length;
        bytes += b;
        if (done - reported >= missing.length / 20 || done === missing.length) {
          reported = done;
          const s = (performance.now() - started) / 1000;
          console.log(`photos: ${done}/${missing.length}, ${rate(done, s)} img/s, mean ${kib(bytes / done)}`);
        }
      }));
    }
    await Promise.all(tasks);
  } finally {
    await workers.destroy();
  }
}

/** `<cache>/photos-s1/n<N>-c<C>/<class>/<i>.jpg`: hard links into the photo pool, one folder per class. */
async function photoFolder(): Promise<string> {
  const root = path.join(args.cache, `photos-s${SEED}`);
  const pool = path.join(root, 'all');
  const view = path.join(root, `n${images}-c${classes}`);
  const done = path.join(view, '.complete');
  if (existsSync(done)) {
    console.log(`photos: reusing ${view}`);
    return view;
  }
  await generateMissing(pool, images);
  await fs.rm(view, { recursive: true, force: true });
  for (let c = 0; c < classes; c++) await fs.mkdir(path.join(view, `c${String(c).padStart(4, '0')}`), { recursive: true });
  for (let i = 0; i < images; i++) {
    const file = `${String(i).padStart(7, '0')}.jpg`;
    await fs.link(path.join(pool, file), path.join(view, `c${String(i % classes).padStart(4, '0')}`, file));
  }
  await fs.writeFile(done, '');
  console.log(`photos: ${images} in ${classes} classes at ${view}`);
  return view;
}

/** DIGITS' split, per class: train gets round(n × 75 %), val the rest. */
function expectedSplit(): { train: number; val: number } {
  const out = { train: 0, val: 0 };
  for (let c = 0; c < classes; c++) {
    const n = Math.floor(images / classes) + (c < images % classes ? 1 : 0);
    const train = Math.floor(n * (100 - PCT_VAL) / 100 + 0.5);
    out.train += train;
    out.val += n - train;
  }
  return out;
}

// ---- the two builds ------------------------------------------------------------------------

function python(argv: string[]): Record<string, unknown> {
  const r = spawnSync(PYTHON, [PIL_SCRIPT, ...argv], { encoding: 'utf8', maxBuffer: 1 << 24 });
  if (r.status !== 0) throw new Error(`${PYTHON} ${path.basename(PIL_SCRIPT)} ${argv.join(' ')} failed (${r.status}):\n${r.stderr || r.error}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as Record<string, unknown>;
}

function options(folder: string, resizeMode: ResizeMode, encoding: ImageEncoding): DatasetBuildOptions {
  return {
    channels: 3, width: size, height: size, resizeMode, encoding, backend: 'lmdb', compression: 'none', method: 'folder',
    folder: { train: { folder, minPerClass: 2, maxPerClass: null }, pctVal: PCT_VAL, pctTest: 0, val: null, test: null },
  };
}

const dataBytes = async (db: string) => (await fs.stat(path.join(db, 'data.mdb'))).size;

async function ours(folder: string, pool: ImagePool, mode: ResizeMode, encoding: ImageEncoding, run: number): Promise<Figures> {
  const jobDir = await fs.mkdtemp(path.join(args.cache, 'build-ours-'));
  try {
    const cpu = process.cpuUsage();
    const started = performance.now();
    const state = await buildDataset({
      jobDir, options: options(folder, mode, encoding), pool, maxPixels: MAX_PIXELS, roots: [folder], random: createRandom(run + 1),
      signal: new AbortController().signal, onProgress: () => {}, onState: async () => {},
    });
    const seconds = (performance.now() - started) / 1000;
    const used = process.cpuUsage(cpu);
    const [train, val] = ['train_db', 'val_db'].map((db) => python(['--verify', path.join(jobDir, db), '--size', String(size)]));
    const bytes = (await dataBytes(path.join(jobDir, 'train_db'))) + (await dataBytes(path.join(jobDir, 'val_db')));
    const note = `py-lmdb reads ${train!.entries} + ${val!.entries}, keys in order ${train!.keys_in_order && val!.keys_in_order}, first ${JSON.stringify(train!.first)}; skipped ${state.skippedCount}`;
    return { seconds, cpuSeconds: (used.user + used.system) / 1e6, train: Number(train!.entries), val: Number(val!.entries), entryBytes: bytes / (Number(train!.entries) + Number(val!.entries)), note };
  } finally {
    await fs.rm(jobDir, { recursive: true, force: true });
  }
}

/** DIGITS' create_db per image; `digitsThreads`: as DIGITS ran it (10 threads, one process), else a process per core. */
async function pil(folder: string, mode: ResizeMode, encoding: ImageEncoding, run: number, digitsThreads = false): Promise<Figures> {
  const out = await fs.mkdtemp(path.join(args.cache, 'build-pil-'));
  try {
    const workers = digitsThreads ? ['--threads', String(DIGITS_THREADS)] : ['--processes', String(threads)];
    const r = python(['--data', folder, '--out', out, '--size', String(size), '--mode', mode, '--encoding', encoding, ...workers, '--pct-val', String(PCT_VAL), '--seed', String(run + 1)]);
    const [train, val] = ['train_db', 'val_db'].map((db) => { const reader = openDbReader(path.join(out, db)); const n = reader.count(); reader.close(); return n; });
    const bytes = (await dataBytes(path.join(out, 'train_db'))) + (await dataBytes(path.join(out, 'val_db')));
    return { seconds: Number(r.seconds), cpuSeconds: Number(r.cpu_seconds), train: train!, val: val!, entryBytes: bytes / (train! + val!), note: `our reader counts ${train} + ${val}; parse ${Number(r.parse_seconds).toFixed(2)} s; skipped ${r.skipped}` };
  } finally {
    await fs.rm(out, { recursive: true, force: true });
  }
}

function report(name: string, r: Figures, want: { train: number; val: number }): boolean {
  const ok = r.train === want.train && r.val === want.val;
  console.log(`${name}: ${r.seconds.toFixed(1)} s, ${rate(images, r.seconds)} img/s, ${(r.cpuSeconds * 1000 / images).toFixed(2)} CPU ms/img (${(r.cpuSeconds / r.seconds).toFixed(2)} cores busy), ${kib(r.entryBytes)}/entry in the LMDB; entries ${r.train} + ${r.val} (${ok ? 'ok' : 'MISMATCH'}); ${r.note}`);
  return ok;
}

// ---- the training half ---------------------------------------------------------------------

function runTraining(): Promise<number> {
  const dir = path.join(args.cache, 'train-lmdb');
  console.log(`\ntraining: ${path.relative(process.cwd(), TRAIN_SCRIPT)} --dir ${dir}`);
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [...process.execArgv, TRAIN_SCRIPT, '--dir', dir], { stdio: 'inherit' });
    child.on('exit', (code) => resolve(code ?? 1));
  });
}

async function main(): Promise<number> {
  const check = spawnSync(PYTHON, ['-c', 'import PIL, lmdb, numpy'], { encoding: 'utf8' });
  if (!args['no-pil'] && check.status !== 0) {
    console.error(`${PYTHON} cannot import PIL, lmdb and numpy (${(check.stderr || String(check.error)).trim()}).\nInstall them with: apt-get install -y python3-pil python3-lmdb python3-numpy`);
    return 1;
  }
  console.log(`dataset-scale: ${images} photos, ${classes} classes, ${size}×${size}×3, modes ${modes.join(',')}, encodings ${encodings.join(',')}; ${threads} threads / processes on ${os.availableParallelism()} cores (${os.cpus()[0]?.model ?? '?'}); libuv threadpool ${threadpoolSize()}; load average ${os.loadavg().map((x) => x.toFixed(1)).join(' ')}`);
  const folder = await photoFolder();
  const want = expectedSplit();
  const pool = createImagePool(threads);
  // each thread loads tsx and sharp on its first task: pay that before any timing starts
  const empty = { paths: [], labels: [], options: { width: 1, height: 1, channels: 1 as const, resizeMode: 'squash' as const, encoding: 'none' as const }, maxPixels: 1, withSum: false, confineTo: null };
  await Promise.all(Array.from({ length: threads * 2 }, () => pool.run(empty)));
  const rows: string[] = [];
  const digitsRows: string[] = [];
  let ok = true;
  try {
    for (const mode of modes) {
      for (const encoding of encodings) {
        for (let run = 0; run < runs; run++) {
          console.log(`\n${mode} / ${encoding}, run ${run + 1}:`);
          const a = await ours(folder, pool, mode, encoding, run);
          ok = report(`  ours (${threads} image threads)`, a, want) && ok;
          if (args['no-pil']) {
            rows.push(`| ${mode} | ${encoding} | ${rate(images, a.seconds)} | – | – | ${(a.cpuSeconds * 1000 / images).toFixed(2)} | – | ${kib(a.entryBytes)} | – |`);
            continue;
          }
          const b = await pil(folder, mode, encoding, run);
          ok = report(`  PIL + py-lmdb (${threads} processes)`, b, want) && ok;
          rows.push(`| ${mode} | ${encoding} | ${rate(images, a.seconds)} | ${rate(images, b.seconds)} | ${(b.seconds / a.seconds).toFixed(2)}× | ${(a.cpuSeconds * 1000 / images).toFixed(2)} | ${(b.cpuSeconds * 1000 / images).toFixed(2)} | ${kib(a.entryBytes)} | ${kib(b.entryBytes)} |`);
          if (args['digits-threads']) {
            const c = await pil(folder, mode, encoding, run, true);
            ok = report(`  DIGITS as shipped (${DIGITS_THREADS} threads, one process)`, c, want) && ok;
            digitsRows.push(`| ${mode} | ${encoding} | ${rate(images, c.seconds)} | ${(c.seconds / a.seconds).toFixed(2)}× |`);
          }
        }
      }
    }
  } finally {
    await pool.close();
  }
  console.log(`\n${images} images, ${threads} threads / processes, ${os.availableParallelism()} cores; target ours ≥ 3× PIL`);
  console.log('| mode | encoding | ours img/s | PIL img/s | ours/PIL | ours CPU ms/img | PIL CPU ms/img | ours entry | PIL entry |\n|---|---|---:|---:|---:|---:|---:|---:|---:|');
  for (const row of rows) console.log(row);
  if (digitsRows.length > 0) console.log(`\n| mode | encoding | DIGITS as shipped img/s | ours/DIGITS |\n|---|---|---:|---:|\n${digitsRows.join('\n')}`);
  console.log(`entries expected ${want.train} + ${want.val}: ${ok ? 'all builds match' : 'MISMATCH'}; load average now ${os.loadavg().map((x) => x.toFixed(1)).join(' ')}`);
  if (!args['no-train'] && existsSync(TRAIN_SCRIPT)) {
    const code = await runTraining();
    if (code !== 0) return code;
  }
  return ok ? 0 : 1;
}

process.exitCode = rerunWithThreadpool() ?? (await main());
