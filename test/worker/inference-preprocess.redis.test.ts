// One preprocessing for training and inference: an image classified by the worker reaches the
// network as exactly the tensor the trainer fed for it (dataset resize, channels, crop, mean).
import fs from 'node:fs/promises';
import path from 'node:path';
import t from 'tap';
import { parseImageList } from '@digits-ts/dataset';
import { fillBatch, inferenceBatchOptions, loadMean, loadSamples, type Samples } from '@digits-ts/ml';
import { prepareForModel } from '../../apps/worker/src/inference/request-inputs.ts';
import { datumDecoder } from '../../apps/worker/src/training/decode.ts';
import { createDataset, hash, writeColourClasses } from '../helpers/datasets.ts';
import { login, startStack, waitForStatus } from '../helpers/stack.ts';

t.test('inference input equals the trainer\'s validation input for the same image', async (t) => {
  const stack = await startStack(t);
  const images = path.join(stack.dataDir, 'colours');
  await writeColourClasses(images, ['red', 'green', 'blue'], 6, { width: 45, height: 31 });
  const cookie = await login(stack.app, 'alice');
  for (const [encoding, mode] of [['png', 'squash'], ['none', 'crop']] as const) {
    await t.test(`encoding ${encoding}, resize ${mode}`, async (t) => {
      const res = await createDataset(stack.app, cookie, { dataset_name: `c-${encoding}-${mode}`, folder_train: images, resize_channels: '3', resize_width: '32', resize_height: '24', resize_mode: mode, encoding, folder_pct_val: '0' });
      const id = (res.json() as { id: string }).id;
      t.equal(await waitForStatus(stack.app, id), 'Done');
      const dir = path.join(stack.jobsDir, id);
      const shape = { height: 24, width: 32, channels: 3 };
      const trained = await loadSamples(path.join(dir, 'train_db'), shape, datumDecoder(1e8));
      const mean = await loadMean(path.join(dir, 'mean.binaryproto'), shape, 'image');
      const lines = parseImageList(await fs.readFile(path.join(dir, 'train.txt'), 'utf8'));
      t.equal(lines.length, trained.count);
      const size = 24 * 32 * 3;
      const prep = { crop: 20, mean, augmentation: { flip: 'none', quadRot: 'none', rot: 0, scale: 0, noise: 0, contrast: 0, whitening: false, hsv: null } as const };
      // the build shuffles entries, so match each source file to its entry by content
      const entries = new Map<string, number>();
      for (let i = 0; i < trained.count; i++) entries.set(hash(trained.pixels.subarray(i * size, (i + 1) * size)), i);
      let matched = 0;
      for (const line of lines) {
        const pixels = await prepareForModel(await fs.readFile(line.path), { ...shape, channels: 3, resizeMode: mode }, 1e8);
        const i = entries.get(hash(pixels));
        if (i === undefined) {
          t.fail(`${path.basename(line.path)}: no stored entry has its pixels`);
          continue;
        }
        matched++;
        t.equal(trained.labels[i], line.label, `${path.basename(line.path)}: label`);
        const fromFile: Samples = { ...shape, count: 1, pixels, labels: new Int32Array(1) };
        const [a, b] = [new Float32Array(20 * 20 * 3), new Float32Array(20 * 20 * 3)];
        fillBatch(fromFile, [0], inferenceBatchOptions(prep), a, new Int32Array(1));
        fillBatch(trained, [i], inferenceBatchOptions(prep), b, new Int32Array(1));
        t.same(a, b, `${path.basename(line.path)}: same input tensor`);
      }
      t.equal(matched, lines.length, 'every image found');
    });
  }
});
