/** Pointing Dawn at one GPU (`gpuSelection`) and reading adapter facts (`describeAdapter`): no GPU needed. */
import t from 'tap';
import { describeAdapter, driPrimeTag, gpuSelection } from '../../packages/ml/src/webgpu/dawn.ts';

const h200 = (index: number, bus: string) => ({ index, name: 'NVIDIA H200', pciBusId: `00000000:${bus}:00.0` });

t.test('nvidia-smi PCI ids become Mesa device-select tags', async (tt) => {
  tt.equal(driPrimeTag('00000000:19:00.0'), 'pci-0000_19_00_0');
  tt.equal(driPrimeTag('0000:AB:1F.7'), 'pci-0000_ab_1f_7');
  tt.throws(() => driPrimeTag('GPU-5e0c'), { message: 'Expected a PCI bus id like 00000000:19:00.0 but received GPU-5e0c' });
});

t.test('one GPU in the host (or none) needs no selection', async (tt) => {
  tt.same(gpuSelection(null, []), { flags: [], env: {} });
  tt.same(gpuSelection(h200(0, '19'), [h200(0, '19')]), { flags: [], env: {} });
});

t.test('several GPUs: the device-select layer picks one by PCI address, and shows only it', async (tt) => {
  const host = [h200(0, '19'), h200(1, '3b'), h200(2, '4c')];
  tt.same(gpuSelection(host[1]!, host), { flags: [], env: { DRI_PRIME: 'pci-0000_3b_00_0', MESA_VK_DEVICE_SELECT_FORCE_DEFAULT_DEVICE: '1' } });
  const mixed = [h200(0, '19'), { index: 1, name: 'NVIDIA A100-SXM4-80GB', pciBusId: '00000000:3b:00.0' }];
  tt.same(gpuSelection(mixed[1]!, mixed).flags, ['adapter=NVIDIA A100-SXM4-80GB'], 'mixed models also filter by name');
});

t.test('adapter facts: the driver part of the description, software adapters recognised', async (tt) => {
  const info = (vendor: string, architecture: string, device: string, description: string, fallback = false) =>
    ({ vendor, architecture, device, description, isFallbackAdapter: fallback }) as unknown as GPUAdapterInfo;
  tt.same(describeAdapter(info('nvidia', 'hopper', 'NVIDIA H200', 'NVIDIA: 580.159.04 580.159.4.0')), {
    vendor: 'nvidia', architecture: 'hopper', device: 'NVIDIA H200', description: 'NVIDIA: 580.159.04 580.159.4.0', driver: '580.159.04 580.159.4.0', software: false,
  });
  tt.equal(describeAdapter(info('mesa', 'software', 'llvmpipe-llvm-15', 'llvmpipe: Mesa 25.0.7', true)).software, true);
  tt.equal(describeAdapter(info('google', '', 'SwiftShader Device (Subzero)', 'SwiftShader driver')).software, true, 'SwiftShader by name');
});
