/** The worker's view of its GPUs: which it may use (CUDA_VISIBLE_DEVICES) and which one webgpu drives. */
import t from 'tap';
import { gpuCheck, trainingGpus, visibleGpus, webgpuTarget, type HostGpu } from '../../apps/worker/src/gpus.ts';

const h200 = (index: number, bus: string): HostGpu => ({ index, name: 'NVIDIA H200', pciBusId: `00000000:${bus}:00.0` });

t.test('a worker drives the first GPU it may use', async (tt) => {
  const host = [h200(0, '19'), h200(1, '3b')];
  tt.same(visibleGpus('', host), [{ index: 0, name: 'NVIDIA H200' }, { index: 1, name: 'NVIDIA H200' }]);
  tt.same(visibleGpus('1', host), [{ index: 1, name: 'NVIDIA H200' }]);
  tt.same(visibleGpus('3', []), [{ index: 3, name: 'GPU 3' }], 'a GPU nvidia-smi does not list keeps its index');
  tt.same(webgpuTarget(visibleGpus('1', host), host), host[1]);
  tt.equal(webgpuTarget([], host), null);
  tt.equal(webgpuTarget(visibleGpus('', []), []), null, 'CPU hosts have none');
});


t.test('gpuCheck: what the worker trains on, and why not on a GPU', async (t) => {
  const wasm = { name: 'wasm', package: '@tensorflow/tfjs-backend-wasm', version: '4.22.0' };
  const noVulkan = 'Vulkan lists no GPU adapter (no driver or no libvulkan1)';
  t.same(gpuCheck(wasm, [], noVulkan), { warn: false, message: `GPU check: no GPU adapter found (${noVulkan}): training on wasm (CPU)` }, 'a CPU host');
  t.same(gpuCheck(wasm, [{ index: 1, name: 'NVIDIA H100' }], noVulkan),
    { warn: true, message: `GPU check: nvidia-smi lists GPU 1 (NVIDIA H100) but no GPU adapter is usable (${noVulkan}): training on wasm (CPU)` }, 'a GPU without Vulkan warns');
  t.same(gpuCheck(wasm, [{ index: 0, name: 'NVIDIA H100' }], null), { warn: false, message: 'GPU check: TF_BACKEND=wasm: training on the CPU; nvidia-smi lists GPU 0 (NVIDIA H100)' }, 'wasm asked for');
  const webgpu = { name: 'webgpu', package: '@tensorflow/tfjs-backend-webgpu', version: '4.22.0', adapter: { vendor: 'nvidia', architecture: 'hopper', device: 'NVIDIA H100 80GB HBM3', description: '', driver: '', software: false } };
  t.same(gpuCheck(webgpu, [{ index: 0, name: 'NVIDIA H100' }], null), { warn: false, message: 'GPU check: training on NVIDIA H100 80GB HBM3 (webgpu)' });
  const native = { name: 'tensorflow', package: '@tensorflow/tfjs-node', version: '4.22.0', tensorflow: '2.21.0' };
  t.same(gpuCheck(native, [], noVulkan), { warn: false, message: `GPU check: no GPU adapter found (${noVulkan}): training on native TensorFlow 2.21.0 (@tensorflow/tfjs-node) (CPU)` }, 'auto on a CPU host with the engine');
  t.same(gpuCheck(native, [], null), { warn: false, message: 'GPU check: TF_BACKEND=tensorflow: training on the CPU with native TensorFlow 2.21.0 (@tensorflow/tfjs-node)' }, 'tensorflow asked for');
  t.same(gpuCheck({ ...native, package: '@tensorflow/tfjs-node-gpu' }, [{ index: 0, name: 'NVIDIA H100' }], null), { warn: false, message: 'GPU check: training on native TensorFlow 2.21.0 (@tensorflow/tfjs-node-gpu), CUDA' });
});

t.test('trainingGpus: the worker\'s first GPU, then the others a job asks for, one replica device each', async (t) => {
  const host = [h200(0, '19'), h200(1, '3b'), h200(2, '5d')];
  const all = visibleGpus('', host);
  const webgpu = { name: 'webgpu', package: '@tensorflow/tfjs-backend-webgpu', version: '4.22.0' };
  const indices = (wanted: { list: number[]; count: number }) => trainingGpus(wanted, webgpu, all, host).gpus.map((g) => g.index);
  t.same(indices({ list: [], count: 1 }), [0], 'one GPU: the worker\'s own');
  t.same(indices({ list: [], count: 2 }), [0, 1]);
  t.same(indices({ list: [2, 0], count: 2 }), [0, 2], 'named GPUs, the trainer thread on the worker\'s first');
  t.same(indices({ list: [], count: 5 }), [0, 1, 2], 'no more than the worker has');
  const { replicaGpus } = trainingGpus({ list: [], count: 3 }, webgpu, all, host);
  t.same(replicaGpus.map((s) => s.env.DRI_PRIME), ['pci-0000_3b_00_0', 'pci-0000_5d_00_0'], 'each replica device chosen by its PCI address');
  t.same(trainingGpus({ list: [], count: 2 }, webgpu, visibleGpus('0,1', []), []).replicaGpus, [{ flags: [], env: {} }], 'without nvidia-smi (lavapipe): the default adapter');
  t.same(trainingGpus({ list: [], count: 2 }, { ...webgpu, name: 'wasm' }, all, host), { gpus: [], replicaGpus: [] }, 'a CPU engine trains on no GPU');
});
