// The worker's model cache: hits skip the load, concurrent misses share one load, the least
// recently used model is evicted (and disposed) beyond capacity, failed loads are not kept.
import t from 'tap';
import { initBackend, tf, tfl } from '@digits-ts/ml';
import { ModelCache } from '../../apps/worker/src/inference/model-cache.ts';
import type { LoadedModel } from '../../apps/worker/src/inference/loaded-model.ts';

await initBackend('wasm');

function tiny(): LoadedModel {
  const model = tfl.sequential({ layers: [tfl.layers.dense({ inputShape: [2], units: 2 })] });
  return { model, epoch: 1, labels: ['a', 'b'], outputs: ['softmax'], image: { height: 1, width: 2, channels: 1, resizeMode: 'squash' }, prep: { crop: null, mean: null, augmentation: { flip: 'none', quadRot: 'none', rot: 0, scale: 0, noise: 0, contrast: 0, whitening: false, hsv: null } } };
}

t.test('LRU cache of loaded models', async (t) => {
  const before = tf.memory().numTensors;
  const cache = new ModelCache(2);
  let loads = 0;
  const load = async () => { loads++; return tiny(); };
  const [a1, a2] = await Promise.all([cache.get('a@1', load), cache.get('a@1', load)]);
  t.equal(loads, 1, 'concurrent misses share one load');
  t.equal(a1.loaded, a2.loaded);
  t.equal((await cache.get('a@1', load)).hit, true);
  await cache.get('b@1', load);
  await cache.get('a@1', load); // a is now the most recent
  await cache.get('c@1', load); // evicts b
  t.equal(loads, 3);
  t.equal((await cache.get('a@1', load)).hit, true);
  t.equal((await cache.get('b@1', load)).hit, false, 'b was evicted');
  await t.rejects(cache.get('bad@1', async () => { throw new Error('no snapshot'); }), /no snapshot/);
  t.equal((await cache.get('bad@1', load)).hit, false, 'a failed load is not cached');
  await cache.forget('bad');
  await cache.clear();
  t.equal(tf.memory().numTensors, before, 'evicted and cleared models are disposed');
});
