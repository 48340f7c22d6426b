// method=custom: a TF.js layers JSON becomes a trainable network (logits for training, softmax
// for deploy); bad definitions fail with a code, never by running anything.
import t from 'tap';
import { buildCustomNetwork, initBackend, tf, tfl, train } from '@digits-ts/ml';
import { formOptions, mnistSamples, setupFor } from './train-helpers.ts';

await initBackend('wasm');

/** A small MLP as a user would export it from TF.js or Keras: `model.toJSON()`, softmax last. */
function mlpJson(classes: number, inputShape = [28, 28, 1]): string {
  const model = tfl.sequential({ layers: [
    tfl.layers.rescaling({ inputShape, scale: 1 / 255 }),
    tfl.layers.flatten(),
    tfl.layers.dense({ units: 64, activation: 'relu' }),
    tfl.layers.dense({ units: classes, activation: 'softmax' }),
  ] });
  const json = model.toJSON(null, false) as object;
  model.dispose();
  return JSON.stringify(json);
}

t.test('a custom layers model trains and deploys probabilities', async (t) => {
  const before = tf.memory().numTensors;
  const network = await buildCustomNetwork(mlpJson(10), [28, 28, 1], 10);
  const losses: number[] = [];
  try {
    t.same(network.heads, [{ loss: 'loss', weight: 1, accuracy: 'accuracy' }]);
    t.ok(network.decayed.length === 2, `decayed ${network.decayed.join(', ')}`);
    const options = formOptions({ method: 'custom', custom_network: '{"class_name":"Sequential","config":{}}', train_epochs: '2', batch_size: '32', lr_policy: 'fixed', learning_rate: '0.05' });
    await train(setupFor(network, await mnistSamples(0, 640), null, options, t.testdir()), { onOutputs: (_p, _e, o) => { losses.push(o.loss!.value); } });
    t.ok(losses.at(-1)! < losses[0]! * 0.5, `loss ${losses[0]} → ${losses.at(-1)}`);
    const probs = tf.tidy(() => tf.sum(network.deploy.predict(tf.zeros([2, 28, 28, 1])) as tf.Tensor, 1).arraySync() as number[]);
    for (const p of probs) t.ok(Math.abs(p - 1) < 1e-5, 'deploy rows sum to 1');
  } finally {
    network.model.dispose();
  }
  t.equal(tf.memory().numTensors, before);
});

t.test('a model.json (with modelTopology) is accepted too', async (t) => {
  const network = await buildCustomNetwork(JSON.stringify({ modelTopology: JSON.parse(mlpJson(3)), format: 'layers-model' }), [28, 28, 1], 3);
  t.same(network.model.outputs[0]!.shape, [null, 3]);
  network.model.dispose();
});

t.test('bad definitions fail with stable codes', async (t) => {
  await t.rejects(buildCustomNetwork('require("child_process").exec("rm -rf /")', [28, 28, 1], 10), { code: 'NETWORK_INVALID' });
  await t.rejects(buildCustomNetwork('{"class_name": "Sequential", "config": {"layers": [{"class_name": "NoSuchLayer", "config": {}}]}}', [28, 28, 1], 10), { code: 'NETWORK_INVALID' });
  await t.rejects(buildCustomNetwork(mlpJson(10, [32, 32, 3]), [28, 28, 1], 10), { code: 'MODEL_SHAPE_MISMATCH', message: /takes input/ });
  await t.rejects(buildCustomNetwork(mlpJson(7), [28, 28, 1], 10), { code: 'MODEL_SHAPE_MISMATCH', message: /10 classes/ });
});
