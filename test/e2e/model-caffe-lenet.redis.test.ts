// DIGITS' own Caffe LeNet (the text `POST /models/customize?network=lenet&framework=caffe` serves,
// written as DIGITS users write prototxt) trained as a custom network on an MNIST subset reaches
// the accuracy of the standard lenet trained alike.
import path from 'node:path';
import t from 'tap';
import { writeMnistPngs } from '../../scripts/mnist.ts';
import { createDataset } from '../helpers/datasets.ts';
import { login, multipart, startStack, waitForStatus } from '../helpers/stack.ts';

t.test('a Caffe LeNet prototxt trains like the standard lenet', async (t) => {
  const stack = await startStack(t);
  const mnistDir = path.join(stack.dataDir, 'mnist');
  await writeMnistPngs(mnistDir, { splits: ['train'], perClass: 150 });
  const cookie = await login(stack.app, 'alice');
  const ds = (await createDataset(stack.app, cookie, { dataset_name: 'mnist', folder_train: path.join(mnistDir, 'train'), resize_channels: '1', resize_width: '28', resize_height: '28' })).json() as { id: string };
  const post = (url: string, fields: Record<string, string>) => {
    const body = multipart(fields);
    return stack.app.inject({ method: 'POST', url, payload: body.payload, headers: { ...body.headers, cookie } });
  };
  const customize = await post('/models/customize?network=lenet&framework=caffe', {});
  t.equal(customize.statusCode, 200);
  const prototxt = (customize.json() as { network: string }).network;
  t.match(prototxt, /type: "SoftmaxWithLoss"/, customize.body.slice(0, 300));

  const common = { dataset: ds.id, train_epochs: '4', shuffle: 'true', random_seed: '3', learning_rate: '0.01' };
  const standard = (await post('/models/images/classification.json', { ...common, model_name: 'standard', framework: 'tensorflow', method: 'standard', standard_networks: 'lenet' })).json() as { id: string };
  const custom = await post('/models/images/classification.json', { ...common, model_name: 'prototxt', framework: 'caffe', method: 'custom', custom_network: prototxt });
  t.equal(custom.statusCode, 200, custom.body);
  const customId = (custom.json() as { id: string }).id;
  const accuracy: Record<string, number> = {};
  for (const [name, id] of [['standard', standard.id], ['prototxt', customId]] as const) {
    t.equal(await waitForStatus(stack.app, id, 300_000), 'Done', name);
    const detail = (await stack.app.inject(`/models/${id}/training.json`)).json() as { val_outputs: Record<string, { values: number[] }>; train_outputs: Record<string, { kind: string }> };
    t.equal(detail.train_outputs.loss!.kind, 'SoftmaxWithLoss');
    accuracy[name] = detail.val_outputs.accuracy!.values.at(-1)!;
  }
  t.comment(`val accuracy after 4 epochs on 1125 images: standard ${accuracy.standard}, prototxt ${accuracy.prototxt}`);
  t.ok(accuracy.standard! > 0.85 && accuracy.prototxt! > 0.85, 'both learn MNIST');
  t.ok(Math.abs(accuracy.standard! - accuracy.prototxt!) <= 0.03, 'the same accuracy within 3 points');

  // the deploy graph answers classify_one with the prototxt's softmax, like the standard one
  const seven = path.join(mnistDir, 'train', '7');
  const { readdir } = await import('node:fs/promises');
  const image = path.join(seven, (await readdir(seven))[0]!);
  const one = await post('/models/images/classification/classify_one.json', { job_id: customId, image_path: image });
  t.equal(one.statusCode, 200, one.body);
  t.equal((one.json() as { predictions: [string, number][] }).predictions[0]![0], '7');
});
