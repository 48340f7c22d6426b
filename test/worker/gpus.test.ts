/** The worker's view of its GPUs: which it may use (CUDA_VISIBLE_DEVICES) and which one webgpu drives. */
import t from 'tap';
import { visibleGpus, webgpuTarget, type HostGpu } from '../../apps/worker/src/gpus.ts';

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

