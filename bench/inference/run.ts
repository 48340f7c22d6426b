/**
 * Benchmark: inference through the README-started stack (scripts/start-stack.sh: gateway +
 * worker processes) over HTTP. classify_one latency p50/p99 at 1, 8 and 32 concurrent clients
 * (autocannon, a few seconds each) and classify_many throughput over the 10 000 MNIST test
 * PNGs, beside PyTorch CPU classifying the same files with the same network.
 *
 *   npm run bench:inference -- [--epochs 1] [--seconds 5] [--port 5099] [--skip-torch]
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { writeMnistPngs } from '../../scripts/mnist.ts';

const { values: args } = parseArgs({ options: {
  epochs: { type: 'string', default: '1' },
  seconds: { type: 'string', default: '5' },
  port: { type: 'string', default: '5099' },
  data: { type: 'string', default: path.join(os.tmpdir(), 'bench-mnist-png') },
  'skip-torch': { type: 'boolean', default: false },
} });
const base = `http://127.0.0.1:${args.port}`;
const data = path.resolve(args.data);

async function ensurePngs(split: 'train' | 'test'): Promise<string> {
  const dir = path.join(data, split);
  if ((await fs.readdir(path.join(dir, '0')).catch(() => [])).length === 0) await writeMnistPngs(data, { splits: [split] });
  return dir;
}

async function until<T>(what: string, check: () => Promise<T | null>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check().catch(() => null);
    if (value !== null) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function postForm(url: string, cookie: string, form: FormData): Promise<Response> {
  return fetch(`${base}${url}`, { method: 'POST', body: form, headers: { cookie } });
}

const jobsDir = await fs.mkdtemp(path.join(os.tmpdir(), 'bench-infer-'));
const [trainDir, testDir] = [await ensurePngs('train'), await ensurePngs('test')];
const stack = spawn('bash', ['scripts/start-stack.sh'], {
  cwd: new URL('../..', import.meta.url).pathname, detached: true, stdio: 'ignore',
  env: { ...process.env, HTTP_PORT: args.port, JOBS_DIR: jobsDir, DATA_ROOTS: data, QUEUE_PREFIX: `bench-infer-${process.pid}`, LOG_LEVEL: 'warn',
    // autocannon is one client address: no per-client inference limit (0 = off)
    RATE_LIMIT_INFER_PER_MIN: '0' },
});
try {
  await until('the gateway', async () => ((await fetch(`${base}/ready`)).ok ? true : null), 60_000);
  const login = await fetch(`${base}/login`, { method: 'POST', body: new URLSearchParams({ username: 'bench' }), redirect: 'manual' });
  const cookie = login.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
  const json = async (res: Response) => (await res.json()) as Record<string, unknown>;
  const dsForm = new FormData();
  for (const [k, v] of Object.entries({ dataset_name: 'mnist', folder_train: trainDir, resize_channels: '1', resize_width: '28', resize_height: '28' })) dsForm.set(k, v);
  const ds = await json(await postForm('/datasets/images/classification.json', cookie, dsForm));
  const modelForm = new FormData();
  for (const [k, v] of Object.entries({ model_name: 'lenet', dataset: String(ds.id), framework: 'tensorflow', method: 'standard', standard_networks: 'lenet', train_epochs: args.epochs, shuffle: 'true' })) modelForm.set(k, v);
  const model = await json(await postForm('/models/images/classification.json', cookie, modelForm));
  const modelId = String(model.id);
  console.log(`training LeNet ${args.epochs} epoch(s) on MNIST (model ${modelId})…`);
  await until('training', async () => {
    const status = (await json(await fetch(`${base}/models/${modelId}/status`))).status;
    if (status === 'Error' || status === 'Aborted') throw new Error(`training ended ${String(status)}`);
    return status === 'Done' ? true : null;
  }, 1_800_000);

  // classify_one: one 28×28 test PNG per request, multipart as curl -F sends it
  const digit = path.join(testDir, '7', (await fs.readdir(path.join(testDir, '7')))[0]!);
  const one = new FormData();
  one.set('job_id', modelId);
  one.set('image_file', new Blob([await fs.readFile(digit)], { type: 'image/png' }), 'digit.png');
  const request = new Request(`${base}/models/images/classification/classify_one.json`, { method: 'POST', body: one });
  const body = Buffer.from(await request.arrayBuffer());
  const headers = { 'content-type': request.headers.get('content-type')! };
  for (const connections of [1, 8, 32]) {
    const result = await autocannon({ url: request.url, method: 'POST', body, headers, connections, duration: Number(args.seconds) });
    console.log(`classify_one, ${String(connections).padStart(2)} clients: p50 ${result.latency.p50} ms, p99 ${result.latency.p99} ms, ${Math.round(result.requests.average)} req/s, errors ${result.errors + result.non2xx}`);
  }

  // classify_many over the 10 000 test PNGs
  const lines: string[] = [];
  for (let d = 0; d < 10; d++) for (const f of (await fs.readdir(path.join(testDir, String(d)))).sort()) lines.push(`${path.join(testDir, String(d), f)} ${d}`);
  const listFile = path.join(jobsDir, 'test-list.txt');
  await fs.writeFile(listFile, lines.join('\n'));
  const many = new FormData();
  many.set('job_id', modelId);
  many.set('image_list', new Blob([lines.join('\n')]), 'list.txt');
  const started = performance.now();
  const res = await json(await postForm('/models/images/classification/classify_many.json', cookie, many));
  const seconds = (performance.now() - started) / 1000;
  const stats = res.statistics as Record<string, number>;
  console.log(`classify_many: ${lines.length} images in ${seconds.toFixed(2)} s = ${Math.round(lines.length / seconds)} img/s over HTTP (top-1 ${stats['top-1 accuracy']} %)`);
  if (!args['skip-torch']) {
    const torch = spawnSync('/usr/bin/python3', [new URL('./torch_classify.py', import.meta.url).pathname, '--list', listFile], { encoding: 'utf8' });
    if (torch.status !== 0) throw new Error(`PyTorch anchor failed: ${torch.stderr}`);
    const anchor = JSON.parse(torch.stdout.trim().split('\n').at(-1)!) as { fromFiles: number; onTensors: number };
    console.log(`PyTorch 2 threads: ${Math.round(anchor.fromFiles)} img/s from files, ${Math.round(anchor.onTensors)} img/s on decoded tensors`);
    console.log(`ratio classify_many / PyTorch from files: ${(lines.length / seconds / anchor.fromFiles).toFixed(2)}`);
  }
} finally {
  process.kill(-stack.pid!, 'SIGTERM');
  await new Promise((r) => setTimeout(r, 1500));
  await fs.rm(jobsDir, { recursive: true, force: true });
}
