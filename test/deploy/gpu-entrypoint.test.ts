// docker/gpu-entrypoint.sh: scaled GPU worker containers each claim a different GPU (stand-in nvidia-smi).
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';

type Test = Parameters<Parameters<typeof t.test>[0]>[0];

const SCRIPT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../docker/gpu-entrypoint.sh');
/** What the "worker" prints: the GPU it was given, then it holds on like a long-running worker. */
const REPORT_AND_WAIT = ['sh', '-c', 'echo "gpu=${CUDA_VISIBLE_DEVICES}"; exec sleep 60'];

const hasFlock = spawnSync('flock', ['--version']).status === 0;

/** A folder with an `nvidia-smi` that lists `indices`, and an empty lock folder. */
function host(t: Test, indices: readonly number[]) {
  const dir = t.testdir({ bin: {}, locks: {} });
  const smi = path.join(dir, 'bin', 'nvidia-smi');
  fs.writeFileSync(smi, `#!/bin/sh\nprintf '${indices.map((i) => `${i}\\n`).join('')}'\n`, { mode: 0o755 });
  return { PATH: `${path.join(dir, 'bin')}:/usr/bin:/bin`, GPU_LOCK_DIR: path.join(dir, 'locks') };
}

/** Starts one "container"; resolves with the GPU it printed, and kills it at teardown. */
function startWorker(t: Test, env: NodeJS.ProcessEnv): Promise<{ gpu: string; stop: () => Promise<void> }> {
  const child = spawn('/bin/sh', [SCRIPT, ...REPORT_AND_WAIT], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
  };
  t.teardown(stop);
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    const timer = setTimeout(() => reject(new Error(`no GPU reported within 10 s; stderr: ${err}`)), 10_000);
    child.stderr.on('data', (chunk: Buffer) => { err += chunk.toString(); });
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /gpu=(.*)\n/.exec(out);
      if (match) {
        clearTimeout(timer);
        resolve({ gpu: match[1]!, stop });
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`entrypoint exited with ${code} before reporting a GPU; stderr: ${err}`));
    });
  });
}

/** Runs the entrypoint to completion with a command that prints the GPU and exits. */
function runOnce(env: NodeJS.ProcessEnv) {
  return spawnSync('/bin/sh', [SCRIPT, 'sh', '-c', 'echo "gpu=${CUDA_VISIBLE_DEVICES}"'], { env, encoding: 'utf8', timeout: 10_000 });
}

t.test('flock is installed (util-linux), as in the worker-gpu image', async (t) => {
  t.ok(hasFlock, 'flock(1) is needed to run these tests: apt-get install util-linux');
});

t.test('each replica claims its own GPU; a surplus one exits; a freed GPU is claimed again', { skip: !hasFlock && 'no flock' }, async (t) => {
  const env = host(t, [0, 1]);
  const first = await startWorker(t, env);
  const second = await startWorker(t, env);
  t.same([first.gpu, second.gpu].sort(), ['0', '1'], 'two replicas, two GPUs');

  const third = runOnce(env);
  t.equal(third.status, 1, 'a third replica exits non-zero');
  t.equal(third.stdout, '', 'without running the worker');
  t.match(third.stderr, /all 2 GPUs are held by other worker containers; scale the worker service to at most 2/);

  await first.stop();
  const again = await startWorker(t, env);
  t.equal(again.gpu, first.gpu, 'the GPU of a stopped replica goes to the next one');
});

t.test('a CUDA_VISIBLE_DEVICES set beforehand is kept', async (t) => {
  const env = { ...host(t, [0, 1]), CUDA_VISIBLE_DEVICES: '1' };
  const result = runOnce(env);
  t.equal(result.status, 0);
  t.equal(result.stdout, 'gpu=1\n');
  t.same(fs.readdirSync(env.GPU_LOCK_DIR), [], 'no lock taken');
});

t.test('without nvidia-smi or GPUs it says what is missing and starts the worker without a GPU', async (t) => {
  // a PATH with the shell the command needs and no nvidia-smi
  const bin = t.testdir({ sh: t.fixture('symlink', '/bin/sh') });
  const noSmi = runOnce({ PATH: bin });
  t.equal(noSmi.status, 0, 'the worker runs');
  t.equal(noSmi.stdout, 'gpu=\n', 'with no GPU given to it');
  t.match(noSmi.stderr, /no GPU adapter: nvidia-smi not found \(no GPU reserved for this container, or no NVIDIA Container Toolkit on the host\); starting the worker without a GPU \(TF_BACKEND=auto falls back to wasm/);

  const noGpus = host(t, []);
  const none = runOnce(noGpus);
  t.equal(none.status, 0);
  t.equal(none.stdout, 'gpu=\n');
  t.match(none.stderr, /no GPU adapter: nvidia-smi lists no GPU in this container/);
  t.same(fs.readdirSync(noGpus.GPU_LOCK_DIR), [], 'no lock taken');
});
