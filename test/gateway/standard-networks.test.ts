// standardNetworkText: the definition files the gateway serves on POST /models/customize.
import t from 'tap';
import { standardNetworkText } from '../../apps/gateway/src/standard-networks.ts';

t.test('standardNetworkText reads the shipped prototxt files', async (t) => {
  for (const name of ['lenet', 'alexnet', 'googlenet'] as const) t.match(await standardNetworkText(name, 'caffe'), /^# \w+, as DIGITS ships it/);
  await t.rejects(standardNetworkText('vgg' as 'lenet', 'caffe'), { code: 'ENOENT' });
});
