// DetectNet-style training through the real loop: the example prototxt (examples/object-detection)
// learns generated boxes, validation reports mAP / precision / recall, and the deploy outputs
// cluster into boxes close to the truth.
import fs from 'node:fs/promises';
import t from 'tap';
import { buildCustomNetwork, clusterOutputs, forwardSamples, initBackend, iou, LABEL_ROW, tf, train, type OutputValues, type Samples } from '@digits-ts/ml';
import { formOptions, setupFor } from './train-helpers.ts';
import { shapeImages, type ShapeImage } from '../helpers/detection-shapes.ts';

await initBackend('wasm');

const SIZE = 64;
const NETWORK = await fs.readFile(new URL('../../examples/object-detection/detectnet-small.prototxt', import.meta.url), 'utf8');

/** Samples with §7.7 label arrays (row 0 = [n, 16], then left, top, w, h, alpha, class 1 …). */
function samplesOf(images: ShapeImage[]): Samples {
  const m = Math.max(...images.map((i) => i.boxes.length));
  const targetSize = (m + 1) * LABEL_ROW;
  const targets = new Float32Array(images.length * targetSize);
  images.forEach((image, k) => {
    targets[k * targetSize] = image.boxes.length;
    targets[k * targetSize + 1] = LABEL_ROW;
    image.boxes.forEach((b, i) => targets.set([b[0], b[1], b[2] - b[0], b[3] - b[1], 0, 1], k * targetSize + (i + 1) * LABEL_ROW));
  });
  const pixels = new Uint8Array(images.length * SIZE * SIZE * 3);
  images.forEach((image, k) => pixels.set(image.pixels, k * SIZE * SIZE * 3));
  return { height: SIZE, width: SIZE, channels: 3, count: images.length, pixels, labels: new Int32Array(images.length), targets, targetSize };
}

t.test('the small DetectNet learns generated boxes', async (t) => {
  const network = await buildCustomNetwork(NETWORK, [SIZE, SIZE, 3], null, 3);
  t.same(network.heads.map((h) => [h.loss, h.kind, h.target?.part]), [['loss_coverage', 'euclidean', 'coverage'], ['loss_bbox', 'l1', 'bbox']]);
  t.same(network.outputs, ['coverage', 'bboxes'], 'the deploy graph outputs what ClusterDetections reads');
  const reports: OutputValues[] = [];
  const heldOut = shapeImages(20, SIZE, 99);
  let found: { boxes: number[][]; truth: number[][] }[] = [];
  try {
    const options = formOptions({ random_seed: '5', train_epochs: '12', solver_type: 'ADAM', learning_rate: '0.001', lr_policy: 'fixed', batch_size: '16', val_interval: '3' });
    const trainSet = samplesOf(shapeImages(400, SIZE, 1));
    await train(setupFor(network, trainSet, samplesOf(shapeImages(80, SIZE, 2)), options, t.testdir()), { onOutputs: (phase, _e, outputs) => { if (phase === 'val') reports.push(outputs); } });
    const forwarded = await forwardSamples(network.deploy, network.outputs!, samplesOf(heldOut), { crop: null, mean: null, augmentation: options.augmentation });
    found = forwarded.map((outputs, k) => {
      const list = clusterOutputs(outputs, network.detection!.cluster).find((o) => o.name === 'bbox-list')!;
      const boxes = Array.from({ length: list.shape[0]! }, (_, i) => Array.from(list.values.subarray(i * 5, i * 5 + 5)));
      return { boxes, truth: heldOut[k]!.boxes };
    });
  } finally {
    network.model.dispose();
  }
  const last = reports.at(-1)!;
  t.same(Object.keys(last).sort(), ['loss_bbox', 'loss_coverage', 'mAP', 'precision', 'recall']);
  t.equal(last.mAP!.kind, 'ScoreDetections');
  t.comment(reports.map((r) => `mAP ${r.mAP!.value.toFixed(1)} precision ${r.precision!.value.toFixed(1)} recall ${r.recall!.value.toFixed(1)} cvg ${r.loss_coverage!.value.toFixed(3)} bbox ${r.loss_bbox!.value.toFixed(1)}`).join('\n'));
  t.ok(last.mAP!.value > 50, `val mAP ${last.mAP!.value.toFixed(1)} (percent, DIGITS' scale) above 50`);
  t.ok(last.mAP!.value > reports[0]!.mAP!.value, 'mAP rises');
  const truths = found.flatMap((f) => f.truth);
  const hits = found.flatMap((f) => f.truth.filter((tb) => f.boxes.some((b) => iou(b, tb) >= 0.5)));
  t.ok(hits.length / truths.length > 0.7, `${hits.length} of ${truths.length} held-out objects found within IoU 0.5`);
});
