/**
 * Benchmark, training half of `bench/dataset-scale`: one epoch of LeNet over a generated
 * classification LMDB (1 000 000 entries by default), streamed from the LMDB through the
 * read-ahead, then held in memory, each in its own process: training images/s (steps only) and
 * the process's peak RSS (sampled every 100 ms, and the kernel's high-water mark VmHWM).
 * Targets (issue #18): streaming RSS under 2 GB throughout, streaming images/s within 10 % of in memory.
 *
 *   npx tsx bench/dataset-scale/train.ts [--entries 1000000] [--dir /tmp/digits-bench/dataset-scale]
 *     [--size 28] [--encoding raw|png] [--batch 64] [--threads <cpus>] [--read-ahead 4]
 *     [--modes stream,memory|none] [--backend wasm]
 *
 * `--modes` may repeat a mode (stream,memory,stream,memory): the summary compares the means, since
 * a shared VM's speed drifts between runs.
 *
 * The LMDB is generated once per (entries, size, encoding) under --dir and reused: 10 classes, a
 * class-specific bright bar on seeded noise, written by our own LMDB writer.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createDbWriter, createRandom, encodeDatum, pixelsToDatumData, WRITE_BATCH_SIZE } from '@digits-ts/dataset';
import { encodeImage } from '@digits-ts/imaging';
import { BACKEND_CHOICES, buildStandardNetwork, initBackend, loadSamples, streamedSplit, train, type BackendChoice, type Split } from '@digits-ts/ml';
import { parseModelForm } from '../../apps/gateway/src/forms/index.ts';
import { datumDecoder, decoderModule } from '../../apps/worker/src/training/decode.ts';

const { values: args } = parseArgs({ options: {
  entries: { type: 'string', default: '1000000' },
  dir: { type: 'string', default: '/tmp/digits-bench/dataset-scale' },
  size: { type: 'string', default: '28' },
  encoding: { type: 'string', default: 'raw' },
  batch: { type: 'string', default: '64' },
  threads: { type: 'string', default: String(os.availableParallelism()) },
  'read-ahead': { type: 'string', default: '4' },
  modes: { type: 'string', default: 'stream,memory' },
  backend: { type: 'string', default: 'wasm' },
  /** Internal: run one mode in this process and print its result as JSON. */
  child: { type: 'string' },
} });

const entries = Number(args.entries);
const size = Number(args.size);
const encoding = args.encoding as 'raw' | 'png';
const CLASSES = 10;
const MAX_PIXELS = size * size;
const GB = 1024 ** 3;
if (!Number.isInteger(entries) || entries < 1 || !Number.isInteger(size) || size < 28 || !['raw', 'png'].includes(encoding)) {
  throw new Error('--entries must be a positive integer, --size at least 28 (LeNet), --encoding raw or png');
}
if (!BACKEND_CHOICES.includes(args.backend as BackendChoice)) throw new Error(`--backend must be one of ${BACKEND_CHOICES.join(', ')}`);

const dbDir = path.join(path.resolve(args.dir), `train-${entries}-${size}px-${encoding}`);
const DONE = 'complete.json';

/** Image `i`: seeded noise over a faint bar whose row (even classes) or column (odd) is the class's. */
function imageOf(i: number, label: number): Uint8Array {
  const random = createRandom(i + 1);
  const image = new Uint8Array(size * size);
  for (let p = 0; p < image.length; p++) image[p] = Math.floor(random() * 192);
  const at = Math.floor(((label >> 1) + 1) * size / (CLASSES / 2 + 1));
  for (let k = 0; k < size; k++) {
    const p = label % 2 === 0 ? at * size + k : k * size + at;
    image[p] = Math.min(255, image[p]! + 64);
  }
  return image;
}

/** Writes the LMDB unless a finished one is there. */
async function generate(): Promise<void> {
  if (await fs.stat(path.join(dbDir, DONE)).then(() => true, () => false)) return;
  console.log(`generating ${entries} ${size}x${size} ${encoding} Datums in ${dbDir}`);
  const started = performance.now();
  const writer = await createDbWriter(dbDir);
  for (let start = 0; start < entries; start += WRITE_BATCH_SIZE) {
    const count = Math.min(WRITE_BATCH_SIZE, entries - start);
    const values = await Promise.all(Array.from({ length: count }, async (_, k) => {
      const i = start + k;
      const label = i % CLASSES;
      const image = imageOf(i, label);
      const data = encoding === 'png' ? await encodeImage({ data: Buffer.from(image), width: size, height: size, channels: 1 }, 'png') : pixelsToDatumData(image, size, size, 1);
      return encodeDatum({ channels: 1, height: size, width: size, label, data, encoded: encoding === 'png' });
    }));
    values.forEach((value, k) => writer.put(start + k, (start + k) % CLASSES, value));
    await writer.flush();
  }
  await writer.close();
  await fs.writeFile(path.join(dbDir, DONE), JSON.stringify({ entries, size, encoding }));
  const mb = (await fs.stat(path.join(dbDir, 'data.mdb'))).size / 1024 ** 2;
  console.log(`generated in ${((performance.now() - started) / 1000).toFixed(1)} s (${mb.toFixed(0)} MB)`);
}

interface Result { mode: string; imagesPerSecond: number; peakRss: number; hwm: number; loadSeconds: number; trainSeconds: number }

/** The kernel's peak resident set of this process (bytes). */
async function highWaterMark(): Promise<number> {
  const status = await fs.readFile('/proc/self/status', 'utf8').catch(() => '');
  const kb = /VmHWM:\s+(\d+) kB/.exec(status)?.[1];
  return kb ? Number(kb) * 1024 : 0;
}

/** Trains one epoch in this process, reading the DB the `mode` way. */
async function runChild(mode: string): Promise<Result> {
  let peakRss = process.memoryUsage.rss();
  // the trainer yields to the event loop every iteration, so the sampler runs throughout
  const sampler = setInterval(() => { peakRss = Math.max(peakRss, process.memoryUsage.rss()); }, 100);
  await initBackend(args.backend as BackendChoice);
  const shape = { height: size, width: size, channels: 1 };
  const loading = performance.now();
  const split: Split = mode === 'stream'
    ? streamedSplit(dbDir, shape, { decoder: decoderModule(MAX_PIXELS), readAhead: Number(args['read-ahead']) })
    : await loadSamples(dbDir, shape, datumDecoder(MAX_PIXELS));
  const loadSeconds = (performance.now() - loading) / 1000;
  const parsed = parseModelForm({
    model_name: 'bench', dataset: 'd', framework: 'tensorflow', standard_networks: 'lenet', shuffle: 'true', random_seed: '1',
    train_epochs: '1', batch_size: args.batch, snapshot_interval: '0', val_interval: '0', lr_policy: 'fixed',
  }, {}, new Set());
  if ('errors' in parsed) throw new Error(`bench form: ${JSON.stringify(parsed.errors)}`);
  const options = parsed.form.jobs[0]!.options;
  const network = buildStandardNetwork('lenet', { inputShape: [size, size, 1], classes: CLASSES, seed: 1 });
  const jobDir = await fs.mkdtemp(path.join(os.tmpdir(), 'bench-dataset-scale-'));
  const started = performance.now();
  let last = 0;
  try {
    const result = await train({
      network, train: split, val: null, options, batchSize: Number(args.batch), valBatchSize: Number(args.batch), crop: null, mirror: false, mean: null,
      jobDir, metadata: {}, random: createRandom(1), threads: Number(args.threads), keepThreads: true,
    }, {
      onOutputs: (phase, _epoch, outputs) => { if (phase === 'train') last = outputs.loss!.value; },
      onIteration: (iteration, maxIter) => {
        if (iteration % 2000 === 0) process.stderr.write(`  ${mode}: ${iteration}/${maxIter} iterations, RSS ${(process.memoryUsage.rss() / GB).toFixed(2)} GB\n`);
      },
    });
    clearInterval(sampler);
    process.stderr.write(`  ${mode}: final train loss ${last.toFixed(4)}\n`);
    return { mode, imagesPerSecond: result.imagesPerSecond, peakRss: Math.max(peakRss, process.memoryUsage.rss()), hwm: await highWaterMark(), loadSeconds, trainSeconds: (performance.now() - started) / 1000 };
  } finally {
    network.model.dispose();
    await fs.rm(jobDir, { recursive: true, force: true });
  }
}

/** Runs `mode` in a child process (so each RSS is its own) and returns its result. */
function spawnChild(mode: string): Promise<Result> {
  const self = fileURLToPath(import.meta.url);
  const flags = Object.entries(args).filter(([k]) => k !== 'child').flatMap(([k, v]) => [`--${k}`, String(v)]);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', self, ...flags, '--child', mode], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => { out += chunk; });
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out.trim().split('\n').at(-1)!) as Result) : reject(new Error(`the ${mode} run exited with ${code}`))));
  });
}

if (args.child) {
  console.log(JSON.stringify(await runChild(args.child)));
  process.exit(0); // the shared reader thread would otherwise idle a minute
}

await generate();
const results: Result[] = [];
// --modes none: generate only
for (const mode of args.modes.split(',').filter((m) => m !== 'none')) {
  if (!['stream', 'memory'].includes(mode)) throw new Error(`unknown mode ${mode} (stream, memory, none)`);
  console.log(`training 1 epoch of LeNet, ${mode === 'stream' ? 'streamed from the LMDB' : 'in memory'} (batch ${args.batch}, ${args.threads} thread(s), ${args.backend})`);
  const r = await spawnChild(mode);
  results.push(r);
  console.log(`${mode}: ${Math.round(r.imagesPerSecond)} img/s training; peak RSS ${(r.peakRss / GB).toFixed(2)} GB sampled, ${(r.hwm / GB).toFixed(2)} GB VmHWM; load ${r.loadSeconds.toFixed(1)} s, train ${r.trainSeconds.toFixed(1)} s`);
}
/** A mode's runs: mean images/s, highest RSS. */
const summary = (mode: string) => {
  const runs = results.filter((r) => r.mode === mode);
  return runs.length === 0 ? null : { imagesPerSecond: runs.reduce((s, r) => s + r.imagesPerSecond, 0) / runs.length, rss: Math.max(...runs.map((r) => Math.max(r.peakRss, r.hwm))), runs: runs.length };
};
const stream = summary('stream');
const memory = summary('memory');
if (stream) console.log(`streaming peak RSS ${(stream.rss / GB).toFixed(2)} GB: ${stream.rss < 2 * GB ? 'under' : 'NOT under'} the 2 GB target`);
if (stream && memory) {
  const ratio = stream.imagesPerSecond / memory.imagesPerSecond;
  console.log(`streaming / in memory images/s (mean of ${stream.runs} and ${memory.runs} run(s)): ${ratio.toFixed(3)}, ${ratio >= 0.9 ? 'within' : 'NOT within'} the 10 % target`);
}
