// MNIST subset through the real stack: create, status, JSON, index, LMDB contents and mean, delete.
import fs from 'node:fs/promises';
import path from 'node:path';
import t from 'tap';
import { decodeBlobProto, roundHalfEven } from '@digits-ts/dataset';
import { mnistImage, readMnist, writeMnistPngs } from '../../scripts/mnist.ts';
import { createDataset, hash, readDb, writeColourClasses } from '../helpers/datasets.ts';
import { login, startStack, waitForStatus } from '../helpers/stack.ts';

const PER_CLASS = 40;

t.test('an MNIST subset becomes a DIGITS dataset that decodes back to its source pixels', async (t) => {
  const stack = await startStack(t);
  const mnistDir = path.join(stack.dataDir, 'mnist');
  await writeMnistPngs(mnistDir, { splits: ['train'], perClass: PER_CLASS });
  const cookie = await login(stack.app, 'alice');

  // source pixels by label, from the IDX files themselves
  const mnist = await readMnist('train');
  const sources = new Map<string, number>();
  const seen = new Array<number>(10).fill(0);
  for (let i = 0; i < mnist.count && seen.some((n) => n < PER_CLASS); i++) {
    const label = mnist.labels[i]!;
    if (seen[label]! >= PER_CLASS) continue;
    seen[label]!++;
    sources.set(hash(mnistImage(mnist, i)), label);
  }

  for (const encoding of ['png', 'none'] as const) {
    await t.test(`encoding=${encoding}`, async (t) => {
      const res = await createDataset(stack.app, cookie, { dataset_name: `mnist-${encoding}`, folder_train: path.join(mnistDir, 'train'), resize_channels: '1', resize_width: '28', resize_height: '28', encoding });
      t.equal(res.statusCode, 200, res.body);
      const { id, name, status } = res.json() as { id: string; name: string; status: string };
      t.match(id, /^\d{8}-\d{6}-[0-9a-f]{4}$/);
      t.equal(name, `mnist-${encoding}`);
      t.equal(status, 'Initialized');
      t.equal(await waitForStatus(stack.app, id), 'Done');

      const status2 = (await stack.app.inject(`/datasets/${id}/status`)).json();
      t.same(status2, { error: null, status: 'Done', name: `mnist-${encoding}`, type: 'Image Classification Dataset' });
      const json = (await stack.app.inject(`/datasets/${id}.json`)).json();
      t.match(json, {
        id, status: 'Done', directory: path.join(stack.jobsDir, id),
        ParseFolderTasks: [{ name: 'Parse Folder (train/val)', label_count: 10, train_count: 300, val_count: 100, test_count: 0 }],
        CreateDbTasks: [
          { name: 'Create DB (train)', entries: 300, image_width: 28, image_height: 28, image_channels: 1, backend: 'lmdb', encoding, compression: 'none' },
          { name: 'Create DB (val)', entries: 100, image_width: 28, image_height: 28, image_channels: 1, backend: 'lmdb', encoding, compression: 'none' },
        ],
      });
      const labels = await fs.readFile(path.join(stack.jobsDir, id, 'labels.txt'), 'utf8');
      t.equal(labels, '0\n1\n2\n3\n4\n5\n6\n7\n8\n9\n');

      const train = await readDb(path.join(stack.jobsDir, id, 'train_db'));
      const val = await readDb(path.join(stack.jobsDir, id, 'val_db'));
      t.equal(train.length, 300);
      t.same(train.map((e) => e.key), train.map((e, i) => `${String(i).padStart(8, '0')}_${e.label}`), 'keys are %08d_%d in write order');
      t.same([...train.map((e) => e.key)].sort(), train.map((e) => e.key), 'keys sort in write order');
      const used = new Set<string>();
      for (const entry of [...train, ...val]) {
        t.equal(entry.encoded, encoding === 'png');
        const h = hash(entry.pixels);
        if (sources.get(h) !== entry.label) t.fail(`entry ${entry.key} is not a source image of its label`);
        used.add(h);
      }
      t.equal(used.size, 400, 'every source image appears exactly once across train and val');

      // the mean, computed independently from the decoded train entries
      const sum = new Float64Array(28 * 28);
      for (const e of train) for (let p = 0; p < sum.length; p++) sum[p]! += e.pixels[p]!;
      const blob = decodeBlobProto(await fs.readFile(path.join(stack.jobsDir, id, 'mean.binaryproto')));
      t.match(blob, { num: 1, channels: 1, height: 28, width: 28 });
      t.same(Array.from(blob.data), Array.from(sum, (s) => roundHalfEven(s / train.length)), 'mean.binaryproto is the rounded per-pixel mean');
      const meanJpg = await fs.readFile(path.join(stack.jobsDir, id, 'mean.jpg'));
      t.equal(meanJpg.subarray(0, 2).toString('hex'), 'ffd8', 'mean.jpg is a JPEG');
      const log = await fs.readFile(path.join(stack.jobsDir, id, 'create_train_db.log'), 'utf8');
      t.match(log, /Category 0 has 30 images\./);
    });
  }

  const index = (await stack.app.inject('/index.json')).json() as { datasets: Array<{ name: string }>; models: unknown[] };
  t.same(index.datasets.map((d) => d.name), ['mnist-none', 'mnist-png'], 'index lists newest first');
  t.same(index.models, []);
});

t.test('3-channel encoding=none stores C×H×W planes in B,G,R order and the mean in BGR too', async (t) => {
  const stack = await startStack(t);
  const root = path.join(stack.dataDir, 'colour');
  const hashes = await writeColourClasses(root, ['cat', 'dog_house'], 6, { width: 8, height: 6 });
  const cookie = await login(stack.app, 'alice');
  const res = await createDataset(stack.app, cookie, { dataset_name: 'colour', folder_train: root, resize_width: '8', resize_height: '6', encoding: 'none', folder_pct_val: '0' });
  const { id } = res.json() as { id: string };
  t.equal(await waitForStatus(stack.app, id), 'Done');
  t.equal(await fs.readFile(path.join(stack.jobsDir, id, 'labels.txt'), 'utf8'), 'cat\ndog house\n', 'underscores become spaces');
  const entries = await readDb(path.join(stack.jobsDir, id, 'train_db'));
  t.equal(entries.length, 12);
  const all = new Set([...hashes.values()].flat());
  for (const e of entries) t.ok(all.has(hash(e.pixels)), `${e.key} decodes (BGR planes → RGB) to a source image`);
  const json = (await stack.app.inject(`/datasets/${id}.json`)).json();
  // DIGITS' quirk: image_width holds the height
  t.match(json.CreateDbTasks[0], { image_width: 6, image_height: 8, image_channels: 3 });
  const blob = decodeBlobProto(await fs.readFile(path.join(stack.jobsDir, id, 'mean.binaryproto')));
  const sum = new Float64Array(8 * 6 * 3);
  for (const e of entries) for (let p = 0; p < sum.length; p++) sum[p]! += e.pixels[p]!;
  const plane = 8 * 6;
  const expectedBgr: number[] = [];
  for (const c of [2, 1, 0]) for (let p = 0; p < plane; p++) expectedBgr.push(roundHalfEven(sum[p * 3 + c]! / entries.length));
  t.same(Array.from(blob.data), expectedBgr);
});
