/**
 * Backend selection: `auto` lands on wasm here (tfjs-node is not installed, and the only WebGPU
 * adapter is software), an explicit `tensorflow` or `webgpu` fails loudly when it cannot load, the
 * wasm glue's crash listeners are gone, and the cpu banner is quiet. Where `npm run engine --
 * tensorflow` installed the native engine, `auto` takes it before wasm: the check of the missing
 * engine is skipped, saying so, wasm is asked for by name, and one of auto's tensorflow runs.
 */
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import t from 'tap';
import { BACKEND_CHOICES, backendInfo, initBackend, parseBackendChoice, tf } from '../../packages/ml/src/tf.ts';
import { tensorflowEngineMissing } from '../helpers/engines.ts';
import { lavapipeEnv } from '../helpers/webgpu.ts';

const require = createRequire(import.meta.url);
const wasmVersion = (require('@tensorflow/tfjs-backend-wasm/package.json') as { version: string }).version;
const tfModule = new URL('../../packages/ml/src/tf.ts', import.meta.url).pathname;
const engineMissing = tensorflowEngineMissing();
const engineInstalled = engineMissing === null ? 'the tensorflow engine is installed here (npm run engine), and auto takes it' : false;

/** Runs ESM `code` in a fresh Node (with tsx) and returns what it printed. */
function runNode(code: string, env: Record<string, string> = {}): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { encoding: 'utf8', timeout: 60_000, env: { ...process.env, ...env } });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

t.test('parseBackendChoice', async (tt) => {
  tt.equal(parseBackendChoice(undefined), 'auto');
  tt.equal(parseBackendChoice(''), 'auto');
  for (const choice of BACKEND_CHOICES) tt.equal(parseBackendChoice(choice), choice);
  tt.throws(() => parseBackendChoice('gpu'), { message: 'Expected one of auto, tensorflow, webgpu, wasm, cpu for TF_BACKEND but received gpu of type string' });
});

t.test('an explicit tensorflow choice throws when tfjs-node is not installed', { skip: engineInstalled }, async (tt) => {
  await tt.rejects(initBackend('tensorflow'), { message: /^Expected TF_BACKEND=tensorflow to load but it is not available on this machine: install @tensorflow\/tfjs-node/ });
  tt.equal(backendInfo(), null, 'nothing was chosen');
});

t.test('auto picks the installed tensorflow engine (no GPU here) and names its TensorFlow', { skip: engineMissing ?? false }, async (tt) => {
  const auto = runNode(`import { initBackend } from ${JSON.stringify(tfModule)};
    console.log(JSON.stringify(await initBackend('auto')));`, { TF_CPP_MIN_LOG_LEVEL: '2' });
  tt.equal(auto.status, 0, auto.stderr);
  const info = JSON.parse(auto.stdout.trim().split('\n').pop()!) as { name: string; package: string; tensorflow: string };
  tt.match(info, { name: 'tensorflow', package: /^@tensorflow\/tfjs-node(-gpu)?$/, version: wasmVersion });
  tt.match(info.tensorflow, /^2\.\d+\.\d+$/, 'TF_Version of the library the addon loaded');
});

t.test('auto picks wasm and leaves the process crash handlers alone', async (tt) => {
  const before = { uncaught: process.listenerCount('uncaughtException'), rejection: process.listenerCount('unhandledRejection') };
  // with the tensorflow engine installed, auto would take it: wasm is asked for by name
  const info = await initBackend(engineInstalled ? 'wasm' : 'auto');
  tt.same(info, { name: 'wasm', package: '@tensorflow/tfjs-backend-wasm', version: wasmVersion });
  tt.equal(tf.getBackend(), 'wasm');
  tt.equal(backendInfo(), info);
  tt.equal(process.listenerCount('uncaughtException'), before.uncaught, 'no uncaughtException listener added');
  tt.equal(process.listenerCount('unhandledRejection'), before.rejection, 'no unhandledRejection listener added');
  tt.equal(await initBackend('wasm'), info, 'a second call returns the first answer');
  await tt.rejects(initBackend('cpu'), { message: 'Expected TF_BACKEND=cpu but this process already runs TensorFlow.js on wasm' });
});

t.test('auto passes over a software WebGPU adapter and says why', async (tt) => {
  const auto = runNode(`import { initBackend, webgpuSkipReason } from ${JSON.stringify(tfModule)};
    const info = await initBackend('auto');
    console.log(JSON.stringify({ name: info.name, why: webgpuSkipReason() }));`, lavapipeEnv());
  tt.equal(auto.status, 0, auto.stderr);
  const chosen = JSON.parse(auto.stdout.trim().split('\n').pop()!) as { name: string; why: string };
  tt.equal(chosen.name, engineInstalled ? 'tensorflow' : 'wasm', 'the next engine: native TensorFlow on the CPU where installed, else wasm');
  tt.match(chosen.why, /only adapter is software \(llvmpipe/);
});

t.test('an explicit webgpu takes a software adapter', async (tt) => {
  const forced = runNode(`import { initBackend } from ${JSON.stringify(tfModule)};
    const info = await initBackend('webgpu');
    console.log(JSON.stringify(info));`, lavapipeEnv());
  tt.equal(forced.status, 0, forced.stderr);
  const info = JSON.parse(forced.stdout.trim().split('\n').pop()!) as { name: string; adapter: { software: boolean; vendor: string } };
  tt.equal(info.name, 'webgpu');
  tt.same([info.adapter.software, info.adapter.vendor], [true, 'mesa']);
});

t.test('a lost GPU device is reported to whoever listens', async (tt) => {
  const lost = runNode(`import { initBackend, tf } from ${JSON.stringify(tfModule)};
    import { onGpuLost } from ${JSON.stringify(new URL('../../packages/ml/src/webgpu/backend.ts', import.meta.url).pathname)};
    await initBackend('webgpu');
    const reason = new Promise((resolve) => onGpuLost(resolve));
    tf.backend().device.destroy();
    console.log(await reason);`, lavapipeEnv());
  tt.equal(lost.status, 0, lost.stderr);
  tt.match(lost.stdout, /^destroyed: /m);
});

t.test('webgpu without any Vulkan device fails loudly', async (tt) => {
  const none = runNode(`import { initBackend } from ${JSON.stringify(tfModule)};
    await initBackend('webgpu');`, { VK_DRIVER_FILES: '/nonexistent/icd.json', VK_ICD_FILENAMES: '/nonexistent/icd.json' });
  tt.not(none.status, 0);
  tt.match(none.stderr, /Expected TF_BACKEND=webgpu to load but it is not available on this machine: Vulkan lists no GPU adapter/);
});

t.test('wasm trains a conv layer (Conv2DBackpropFilter is registered)', async (tt) => {
  const x = tf.randomNormal([2, 6, 6, 1]);
  const w = tf.variable(tf.randomNormal([3, 3, 1, 2]));
  const { grads } = tf.variableGrads(() => tf.sum(tf.conv2d(x as tf.Tensor4D, w as tf.Variable<tf.Rank.R4>, 1, 'valid')));
  tt.same(grads[w.name]!.shape, [3, 3, 1, 2]);
  tf.dispose([x, w, grads[w.name]!]);
});

t.test('the cpu backend prints no "running TensorFlow.js in Node.js" banner', async (tt) => {
  const banner = 'Hi, looks like you are running TensorFlow.js in Node.js';
  const ours = runNode(`import { initBackend, tf } from ${JSON.stringify(tfModule)};
    const info = await initBackend('cpu');
    tf.add(tf.scalar(1), tf.scalar(2)).dataSync();
    console.log(info.name);`);
  tt.equal(ours.status, 0, ours.stderr);
  tt.equal(ours.stdout.trim(), 'cpu');
  tt.notMatch(ours.stderr, banner);
  const plain = runNode(`import { tf } from ${JSON.stringify(tfModule)};
    await tf.setBackend('cpu');
    tf.add(tf.scalar(1), tf.scalar(2)).dataSync();`);
  tt.match(plain.stderr, banner, 'without initBackend the banner shows, so the check above can fail');
});
