// AlexNet and GoogLeNet train for one epoch on a small generated colour dataset (wasm backend, one
// thread: replicas are trainer.test.ts's, and copying AlexNet's 60 M weights to a replica each
// step cost more than the second core gave):
// their loss on that set (dropout off, every head weighted as in training) falls, and GoogLeNet
// reports its auxiliary heads under DIGITS' names.
import t from 'tap';
import { buildStandardNetwork, evaluate, initBackend, tf, train, type OutputValues, type Samples } from '@digits-ts/ml';
import { colourSamples, formOptions, setupFor } from './train-helpers.ts';

await initBackend('wasm');

/** The per-pixel mean, as the dataset's mean.binaryproto would give it (use_mean=image). */
function meanImage(samples: Samples): Float32Array {
  const size = samples.height * samples.width * samples.channels;
  const mean = new Float32Array(size);
  for (let i = 0; i < samples.count * size; i++) mean[i % size]! += samples.pixels[i]! / samples.count;
  return mean;
}

/** The first `n` samples (every class in turn), the part of the training set the loss is judged on. */
function firstOf(samples: Samples, n: number): Samples {
  const size = samples.height * samples.width * samples.channels;
  return { ...samples, count: n, pixels: samples.pixels.subarray(0, n * size), labels: samples.labels.subarray(0, n) };
}

// AlexNet's N(0, 0.01) start needs a few dozen SGD updates before its loss moves (as in Caffe);
// Adam moves it within a dozen, so 96 small images do (1.39 → 0.87 here, the same every run: dropout follows the seed); GoogLeNet needs
// 223×223 at least, so it gets few, and its loss is judged on half of them (evaluating is a third of its time).
const cases = [
  { name: 'alexnet', size: 39, perClass: 24, batch: 8, solver: 'ADAM', lr: '0.0005', judged: 96, threads: 1 },
  { name: 'googlenet', size: 224, perClass: 8, batch: 4, solver: 'ADAM', lr: '0.0005', judged: 16, threads: 1 },
] as const;

for (const c of cases) {
  t.test(`${c.name} trains one epoch and its loss falls`, async (t) => {
    const samples = colourSamples(4, c.perClass, c.size, 5);
    const before = tf.memory().numTensors;
    const network = buildStandardNetwork(c.name, { inputShape: [c.size, c.size, 3], classes: 4, seed: 5 });
    const options = formOptions({ standard_networks: c.name, train_epochs: '1', batch_size: String(c.batch), solver_type: c.solver, learning_rate: c.lr, lr_policy: 'fixed', random_seed: '5', snapshot_interval: '0', val_interval: '0' });
    // the images are already the network's input size: no crop, no mirror; the thread count is
    // fixed, so the run is the same under any load (the tuner would otherwise decide by timing)
    const setup = setupFor(network, samples, firstOf(samples, c.judged), options, t.testdir(), { crop: null, mirror: false, mean: meanImage(samples), threads: c.threads, keepThreads: true });
    const weighted = (o: OutputValues) => network.heads.reduce((sum, h) => sum + h.weight * o[h.loss]!.value, 0);
    const reports: OutputValues[] = [];
    try {
      const start = await evaluate(setup);
      await train(setup, { onOutputs: (phase, _epoch, outputs) => { if (phase === 'train') reports.push(outputs); } });
      const end = await evaluate(setup);
      t.ok(weighted(end) < weighted(start) * 0.9, `weighted loss on the set: ${weighted(start).toFixed(3)} → ${weighted(end).toFixed(3)}`);
      if (c.name === 'googlenet') {
        t.same(Object.keys(end).sort(), ['accuracy', 'loss', 'loss1/accuracy', 'loss1/loss', 'loss2/accuracy', 'loss2/loss']);
        t.ok('loss1/loss' in reports[0]! && 'loss2/loss' in reports[0]!, 'auxiliary head losses reported while training');
      }
    } finally {
      network.model.dispose();
    }
    t.ok(reports.length >= 4, `${reports.length} training reports`);
    t.equal(tf.memory().numTensors, before, 'no tensors left behind');
  });
}
