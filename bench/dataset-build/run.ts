/**
 * Benchmark: building MNIST (60 000 train PNGs, 75/25 split) into a DIGITS dataset with our
 * worker pipeline (`buildDataset`), against a PIL + py-lmdb anchor doing what DIGITS does.
 *
 *   npm run bench:dataset-build -- [--data <dir>] [--runs 2] [--threads <n>]
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { DatasetBuildOptions } from '@digits-ts/contracts';
import { createRandom, openDbReader } from '@digits-ts/dataset';
import { buildDataset } from '../../apps/worker/src/dataset-build/build.ts';
import { createImagePool, type ImagePool } from '../../apps/worker/src/dataset-build/image-pool.ts';
import { writeMnistPngs } from '../../scripts/mnist.ts';

const IMAGES = 60_000;
/** DIGITS' split, per class: train gets round(n × 75 %), val the rest (45 002 / 14 998 for MNIST). */
const expected = { train: 0, val: 0 };
const PYTHON = '/usr/bin/python3';
const PIL_SCRIPT = new URL('./pil_build.py', import.meta.url).pathname;
const MAX_PIXELS = 8192 * 8192; // IMAGE_MAX_PIXELS default

const { values: args } = parseArgs({
  options: {
    data: { type: 'string' },
    runs: { type: 'string', default: '2' },
    threads: { type: 'string', default: String(os.availableParallelism()) },
  },
});
const runs = Number(args.runs);
const threads = Number(args.threads);

interface Run { seconds: number; train: number; val: number; reused: string; extra: string }

const median = (xs: number[]) => { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2; };
const rate = (seconds: number) => Math.round(IMAGES / seconds);

/** PNGs per digit folder. */
async function countPngs(dir: string): Promise<number[]> {
  const list = (d: number) => fs.readdir(path.join(dir, 'train', String(d))).catch(() => [] as string[]);
  return Promise.all(Array.from({ length: 10 }, async (_, d) => (await list(d)).filter((f) => f.endsWith('.png')).length));
}
const total = (xs: number[]) => xs.reduce((a, b) => a + b, 0);

async function prepareData(): Promise<{ dir: string; temporary: boolean }> {
  const dir = args.data ? path.resolve(args.data) : await fs.mkdtemp(path.join(os.tmpdir(), 'bench-mnist-'));
  if (total(await countPngs(dir)) === IMAGES) {
    console.log(`data: reusing ${dir} (${IMAGES} PNGs)`);
  } else {
    const t = performance.now();
    await writeMnistPngs(dir, { splits: ['train'] });
    console.log(`data: wrote ${total(await countPngs(dir))} PNGs to ${dir} in ${((performance.now() - t) / 1000).toFixed(1)} s`);
  }
  for (const n of await countPngs(dir)) {
    expected.train += Math.round(n * 0.75);
    expected.val += n - Math.round(n * 0.75);
  }
  return { dir, temporary: !args.data };
}

function options(dataDir: string): DatasetBuildOptions {
  return {
    channels: 1, width: 28, height: 28, resizeMode: 'squash', encoding: 'png', backend: 'lmdb', compression: 'none', method: 'folder',
    folder: { train: { folder: path.join(dataDir, 'train'), minPerClass: 2, maxPerClass: null }, pctVal: 25, pctTest: 0, val: null, test: null },
  };
}

/** Runs the Python anchor; returns its stdout JSON or throws with its stderr. */
function python(argv: string[]): Record<string, unknown> {
  const r = spawnSync(PYTHON, [PIL_SCRIPT, ...argv], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${PYTHON} ${path.basename(PIL_SCRIPT)} ${argv.join(' ')} failed (${r.status}):\n${r.stderr || r.error}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as Record<string, unknown>;
}

async function oursOnce(dataDir: string, pool: ImagePool, i: number): Promise<Run> {
  const jobDir = await fs.mkdtemp(path.join(os.tmpdir(), 'bench-ours-'));
  const phases: string[] = [];
  let last = performance.now();
  const started = last;
  try {
    const state = await buildDataset({
      jobDir, options: options(dataDir), pool, maxPixels: MAX_PIXELS, roots: [dataDir], random: createRandom(i + 1),
      signal: new AbortController().signal, onProgress: () => {},
      onState: async (s) => {
        // milestones: lists parsed, then each DB started (shuffle, log) and done (train: + mean)
        const now = performance.now();
        const running = s.createDbTasks.find((t) => t.status === 'R');
        const done = s.createDbTasks.filter((t) => t.status === 'D').pop();
        const name = running ? `${running.stage} start` : done ? `${done.stage} db${done.stage === 'train' ? '+mean' : ''}` : 'parse';
        phases.push(`${name} ${((now - last) / 1000).toFixed(2)}s`);
        last = now;
      },
    });
    const seconds = (performance.now() - started) / 1000;
    const log = await fs.readFile(path.join(jobDir, 'create_train_db.log'), 'utf8');
    const reused = /\((\d+) stored as they were\)/.exec(log)?.[1] ?? 'n/a';
    const [train, val] = ['train_db', 'val_db'].map((db) => Number(python(['--verify', path.join(jobDir, db)]).entries));
    if (state.skippedCount) phases.push(`skipped ${state.skippedCount}`);
    return { seconds, train: train!, val: val!, reused: `${reused} of train reused as-is`, extra: `phases: ${phases.join(', ')}` };
  } finally {
    await fs.rm(jobDir, { recursive: true, force: true });
  }
}

async function pilOnce(dataDir: string, i: number): Promise<Run> {
  const out = await fs.mkdtemp(path.join(os.tmpdir(), 'bench-pil-'));
  try {
    const r = python(['--data', dataDir, '--out', out, '--seed', String(i + 1)]);
    const [train, val] = ['train_db', 'val_db'].map((db) => { const reader = openDbReader(path.join(out, db)); const n = reader.count(); reader.close(); return n; });
    return { seconds: Number(r.seconds), train: train!, val: val!, reused: 're-encoded all', extra: `parse ${Number(r.parse_seconds).toFixed(2)}s, numpy ${r.numpy}` };
  } finally {
    await fs.rm(out, { recursive: true, force: true });
  }
}

function report(name: string, i: number, r: Run): void {
  const ok = r.train === expected.train && r.val === expected.val ? 'ok' : 'MISMATCH';
  console.log(`${name} run ${i + 1}: ${r.seconds.toFixed(2)} s, ${rate(r.seconds)} img/s; entries train ${r.train} val ${r.val} (${ok}); ${r.reused}; ${r.extra}`);
}

async function main(): Promise<number> {
  const check = spawnSync(PYTHON, ['-c', 'import PIL, lmdb'], { encoding: 'utf8' });
  if (check.status !== 0) {
    console.error(`${PYTHON} cannot import PIL and lmdb (${(check.stderr || String(check.error)).trim()}).\nInstall them with: apt-get install -y python3-pil python3-lmdb`);
    return 1;
  }
  const { dir, temporary } = await prepareData();
  const t = performance.now();
  const pool = createImagePool(threads);
  console.log(`ours: ${threads} image threads (pool created before timing, ${Math.round(performance.now() - t)} ms; threads boot asynchronously: loading tsx + sharp in each falls inside run 1)`);
  const ours: Run[] = [];
  const pil: Run[] = [];
  let mismatch = false;
  try {
    for (let i = 0; i < runs; i++) { ours.push(await oursOnce(dir, pool, i)); report('ours', i, ours[i]!); }
    for (let i = 0; i < runs; i++) { pil.push(await pilOnce(dir, i)); report('PIL ', i, pil[i]!); }
    mismatch = [...ours, ...pil].some((r) => r.train !== expected.train || r.val !== expected.val);
  } finally {
    await pool.close();
    if (temporary) await fs.rm(dir, { recursive: true, force: true });
  }
  const best = (rs: Run[]) => Math.min(...rs.map((r) => r.seconds));
  const med = (rs: Run[]) => median(rs.map((r) => r.seconds));
  const ratio = best(pil) / best(ours);
  console.log('\n| build | best img/s | median img/s | best s |\n|---|---:|---:|---:|');
  console.log(`| ours (${threads} threads) | ${rate(best(ours))} | ${rate(med(ours))} | ${best(ours).toFixed(2)} |`);
  console.log(`| PIL + py-lmdb (1 process) | ${rate(best(pil))} | ${rate(med(pil))} | ${best(pil).toFixed(2)} |`);
  console.log(`\nratio ours/PIL (best): ${ratio.toFixed(2)}× (target ≥ 2×: ${ratio >= 2 ? 'met' : 'NOT met'}); threads ${threads}; machine cores ${os.availableParallelism()} (${os.cpus()[0]?.model ?? '?'})`);
  console.log(`expected entries train ${expected.train} val ${expected.val}: ${mismatch ? 'MISMATCH' : 'all builds match'}; load average now ${os.loadavg().map((x) => x.toFixed(1)).join(' ')}`);
  return mismatch ? 1 : 0;
}

process.exitCode = await main();
