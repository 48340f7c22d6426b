// A segmentation head (per-pixel SoftmaxWithLoss on an FCN's score map) through the real loop:
// the class maps reach the loss in this thread and in replica threads alike, and validation
// reports the loss, the pixel accuracy (the net's Accuracy top) and the mean IoU.
import fs from 'node:fs/promises';
import t from 'tap';
import { initBackend, tf, train, type OutputValues, type Samples } from '@digits-ts/ml';
import { buildCaffeNetwork } from '../../packages/ml/src/networks/caffe/index.ts';
import { shapesSample } from '../helpers/segmentation-shapes.ts';
import { formOptions, setupFor } from './train-helpers.ts';

await initBackend('wasm');
const SIZE = 32;

/** Samples `first`… of the generated shapes: RGB pixels, class maps as the label vectors. */
function shapes(count: number, first: number): Samples {
  const pixels = new Uint8Array(count * SIZE * SIZE * 3);
  const targets = new Float32Array(count * SIZE * SIZE);
  for (let i = 0; i < count; i++) {
    const { rgb, mask } = shapesSample(first + i, SIZE);
    pixels.set(rgb, i * rgb.length);
    targets.set(mask, i * mask.length);
  }
  return { height: SIZE, width: SIZE, channels: 3, count, pixels, labels: new Int32Array(count), targets, targetSize: SIZE * SIZE };
}

const prototxt = await fs.readFile(new URL('../fixtures/segmentation-fcn.prototxt', import.meta.url), 'utf8');

for (const threads of [1, 2]) {
  t.test(`an FCN learns the class maps (${threads} thread${threads > 1 ? 's' : ''})`, async (t) => {
    const before = tf.memory().numTensors;
    const network = buildCaffeNetwork(prototxt, { inputShape: [SIZE, SIZE, 3], classes: null, seed: 3 });
    t.same(network.heads, [{ loss: 'loss', weight: 1, kind: 'pixel-softmax', ignoreLabel: 255, accuracy: 'accuracy', meanIou: 'mean_iou' }]);
    t.same(network.outputs, ['score'], 'the deploy net outputs the cropped score map');
    const reports: OutputValues[] = [];
    try {
      const options = formOptions({ random_seed: '5', train_epochs: '3', solver_type: 'ADAM', learning_rate: '0.01', lr_policy: 'fixed', batch_size: '16' });
      await train(setupFor(network, shapes(256, 0), shapes(64, 5000), options, t.testdir(), { threads, keepThreads: true }), { onOutputs: (phase, _epoch, outputs) => { if (phase === 'val') reports.push(outputs); } });
    } finally {
      network.model.dispose();
    }
    t.same(Object.entries(reports[0]!).map(([name, o]) => [name, o.kind]), [['loss', 'SoftmaxWithLoss'], ['accuracy', 'Accuracy'], ['mean_iou', 'Accuracy']]);
    const miou = reports.map((r) => r.mean_iou!.value);
    t.ok(miou.at(-1)! > miou[0]! && miou.at(-1)! > 0.5, `val mean IoU ${miou.map((v) => v.toFixed(3)).join(' → ')}`);
    t.ok(reports.at(-1)!.accuracy!.value > 0.85, `val pixel accuracy ${reports.at(-1)!.accuracy!.value.toFixed(3)}`);
    t.equal(tf.memory().numTensors, before, 'no tensors left behind');
  });
}
