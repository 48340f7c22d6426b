/**
 * Benchmark: one LeNet training on 1 and on N webgpu devices (the worker's data-parallel path:
 * ml's trainer with a replica thread per further GPU, each with its own Dawn device, gradients
 * averaged each step), images/s and the speed-up, beside PyTorch on the same machine in the same
 * invocation (nn.DataParallel over the CUDA GPUs when there are several, else the CPU with 1 and N
 * threads). The GPUs are the worker's: CUDA_VISIBLE_DEVICES as nvidia-smi lists them, each
 * device chosen as a worker chooses it (`trainingGpus`). Without nvidia-smi (lavapipe) the N
 * devices are N Dawn devices on the software adapter, at tiny sizes: correctness, not speed.
 *
 *   npm run bench:train-multigpu -- [--devices N] [--batch 64] [--steps S] [--skip-torch] [--json out.json] [--mnist mnist.bin]
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { createRandom } from '@digits-ts/dataset';
import { buildStandardNetwork, gpuSelection, initBackend, train, type Samples } from '@digits-ts/ml';
import { parseModelForm } from '../../apps/gateway/src/forms/index.ts';
import { hostGpus, trainingGpus, visibleGpus, webgpuTarget } from '../../apps/worker/src/gpus.ts';
import { loadMnist, torchPython } from '../gpu-bench.ts';

const { values: args } = parseArgs({ options: {
  devices: { type: 'string' },
  batch: { type: 'string', default: '64' },
  steps: { type: 'string' },
  'skip-torch': { type: 'boolean', default: false },
  json: { type: 'string' },
  mnist: { type: 'string' },
  python: { type: 'string' },
} });

const host = await hostGpus();
const visible = visibleGpus(process.env.CUDA_VISIBLE_DEVICES ?? '', host);
const devices = Number(args.devices ?? Math.max(2, visible.length));
// no nvidia-smi (lavapipe): nominal GPUs, each device on the default adapter, as a worker does
const gpus = visible.length >= devices ? visible : Array.from({ length: devices }, (_, index) => ({ index, name: `GPU ${index}` }));
const engine = await initBackend('webgpu', { gpu: gpuSelection(webgpuTarget(gpus, host), host) });
const software = engine.adapter?.software === true;
const batch = Number(args.batch);
const steps = Number(args.steps ?? (software ? 6 : 300));
// steps before the clock starts: every device's shaders compiled, the run-ahead filled
const warm = software ? 2 : 20;
console.log(`engine: TF.js webgpu ${engine.version} on ${engine.adapter?.device} (${engine.adapter?.description}); GPUs: ${host.length > 0 ? host.map((g) => `${g.index} ${g.name}`).join(', ') : 'none listed (software adapter)'}`);

const python = torchPython(args.python);

const mnist = await loadMnist(args.mnist);
const count = (warm + steps) * batch;
const samples: Samples = { height: 28, width: 28, channels: 1, count, pixels: new Uint8Array(mnist.images.subarray(0, count * 784)), labels: Int32Array.from(mnist.labels.subarray(0, count)) };
const jobDir = await fs.mkdtemp(path.join(os.tmpdir(), 'bench-train-multigpu-'));

interface Row { devices: number; gpus: string; imgS: number; losses: number[] }

/** One epoch of `warm + steps` LeNet steps on `n` devices: images/s after the warm-up, and the train losses. */
async function run(n: number): Promise<Row> {
  const plan = trainingGpus({ list: [], count: n }, engine, gpus, host);
  const parsed = parseModelForm({ model_name: 'bench', dataset: 'd', framework: 'tensorflow', standard_networks: 'lenet', train_epochs: '1', batch_size: String(batch), shuffle: 'false', random_seed: '1', snapshot_interval: '0', val_interval: '0', lr_policy: 'fixed', learning_rate: '0.01' }, {}, new Set());
  if ('errors' in parsed) throw new Error(`bench form: ${JSON.stringify(parsed.errors)}`);
  const network = buildStandardNetwork('lenet', { inputShape: [28, 28, 1], classes: 10, seed: 1 });
  const losses: number[] = [];
  let started = 0;
  try {
    await train({
      network, train: samples, val: null, options: parsed.form.jobs[0]!.options, batchSize: batch, valBatchSize: batch, crop: null, mirror: false, mean: null,
      jobDir, metadata: {}, random: createRandom(1), threads: n, keepThreads: true, replicaGpus: plan.replicaGpus,
    }, {
      onIteration: (iter) => { if (iter === warm) started = performance.now(); },
      onOutputs: (phase, _e, o) => { if (phase === 'train') losses.push(o.loss!.value); },
    });
    // train() resolves once the GPUs have run every queued step
    return { devices: n, gpus: plan.gpus.map((g) => g.index).join(',') || '-', imgS: (steps * batch) / ((performance.now() - started) / 1000), losses };
  } finally {
    network.model.dispose();
  }
}

try {
  const rows = [await run(1), await run(devices)];
  const worst = Math.max(...rows[0]!.losses.map((l, i) => Math.abs(l - rows[1]!.losses[i]!) / Math.max(1, Math.abs(l))));
  let anchors: { devices: number; img_s: number; engine: string }[] = [];
  if (!args['skip-torch'] && !python) console.log('PyTorch anchor skipped: no python3 with torch');
  if (!args['skip-torch'] && python) {
    const bin = path.join(jobDir, 'mnist.bin');
    await fs.writeFile(bin, Buffer.concat([mnist.images.subarray(0, 10_000 * 784), mnist.labels.subarray(0, 10_000)]));
    const torch = spawnSync(python, [new URL('./torch_dp.py', import.meta.url).pathname, '--mnist', bin, '--devices', String(devices), '--batch', String(batch), '--steps', String(software ? 50 : steps)], { encoding: 'utf8' });
    if (torch.status !== 0) throw new Error(`PyTorch anchor failed: ${torch.stderr}`);
    anchors = torch.stdout.trim().split('\n').map((line) => JSON.parse(line) as { devices: number; img_s: number; engine: string });
  }
  const speedUp = (list: { img_s?: number; imgS?: number }[]) => (list.length > 1 ? ((list.at(-1)!.img_s ?? list.at(-1)!.imgS!) / (list[0]!.img_s ?? list[0]!.imgS!)).toFixed(2) : '—');
  console.log(`\nLeNet training, batch ${batch}, ${steps} timed steps; losses of 1 vs ${devices} devices agree to ${worst.toExponential(1)} (relative)`);
  console.log(`| devices | ours: TF.js webgpu img/s | GPUs | anchor img/s | anchor |\n| ---: | ---: | --- | ---: | --- |`);
  for (const row of rows) {
    const anchor = anchors.find((a) => a.devices === row.devices) ?? (row.devices > 1 ? anchors.at(-1) : anchors[0]);
    console.log(`| ${row.devices} | ${row.imgS.toFixed(1)} | ${row.gpus} | ${anchor ? anchor.img_s.toFixed(0) : '—'} | ${anchor?.engine ?? '—'} |`);
  }
  console.log(`speed-up ${devices} vs 1: ours ${speedUp(rows)}×, anchor ${speedUp(anchors)}×${software ? ' (software adapter: every device shares the same CPU cores, so no speed-up is expected)' : ''}`);
  if (args.json) await fs.writeFile(args.json, `${JSON.stringify({ engine, host, devices, batch, steps, rows, lossAgreement: worst, anchors })}\n`);
} finally {
  await fs.rm(jobDir, { recursive: true, force: true });
}
