// The definition texts the gateway serves without TF.js stay true to the ml package: the JSON
// standard networks are what the builders make, and every Caffe layer type the form accepts
// has a TF.js mapping.
import t from 'tap';
import { standardNetworkText } from '../../apps/gateway/src/standard-networks.ts';
import { CAFFE_COMPUTE_TYPES } from '@digits-ts/caffe';
import { initBackend, LAYER_FACTORIES, STANDARD_NETWORKS, standardNetworkJson } from '@digits-ts/ml';

await initBackend('cpu');

t.test('standard-networks/tensorflow/*.json match the builders (npx tsx scripts/standard-networks.ts rewrites them)', async (t) => {
  for (const name of STANDARD_NETWORKS) t.equal(await standardNetworkText(name, 'tensorflow'), standardNetworkJson(name), name);
});

t.test('the form accepts exactly the Caffe layers the builder maps', async (t) => {
  t.same([...CAFFE_COMPUTE_TYPES].sort(), Object.keys(LAYER_FACTORIES).sort());
});
