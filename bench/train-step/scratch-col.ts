import { col2imAdd } from '../../packages/ml/src/kernels/col2im.ts';
const g2 = { inHeight: 12, inWidth: 12, channels: 20, outHeight: 8, outWidth: 8, filterHeight: 5, filterWidth: 5, strideHeight: 1, strideWidth: 1, padTop: 0, padLeft: 0 };
const g1 = { inHeight: 28, inWidth: 28, channels: 1, outHeight: 24, outWidth: 24, filterHeight: 5, filterWidth: 5, strideHeight: 1, strideWidth: 1, padTop: 0, padLeft: 0 };
for (const [name, g] of [['conv2', g2], ['conv1', g1]] as const) {
  const cols = new Float32Array(64 * g.outHeight * g.outWidth * 25 * g.channels).map(() => Math.random());
  const dx = new Float32Array(64 * g.inHeight * g.inWidth * g.channels);
  for (let r = 0; r < 3; r++) col2imAdd(cols, dx, g, 0, 64);
  const t = performance.now(); for (let r = 0; r < 20; r++) { dx.fill(0); col2imAdd(cols, dx, g, 0, 64); }
  console.log(name, ((performance.now() - t) / 20).toFixed(2), 'ms', cols.length);
}
