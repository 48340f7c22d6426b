// explore-dataset through the real infer queue: pages of classification (raw, PNG, JPEG, grey and
// colour), generic and prebuilt DBs, class filters against the stored labels, and refusals.
import fs from 'node:fs/promises';
import path from 'node:path';
import t from 'tap';
import sharp from 'sharp';
import type { FastifyInstance } from 'fastify';
import type { ExploreDatasetPayload, ExploreDatasetResult, ExploreEntry } from '@digits-ts/contracts';
import { decodeDatum, openDbReader, readDatasetManifest } from '@digits-ts/dataset';
import { RequestClient } from '@digits-ts/queue';
import { writeMnistPngs } from '../../scripts/mnist.ts';
import { createDataset, readDb, writeColourClasses, type DecodedEntry } from '../helpers/datasets.ts';
import { login, multipart, startStack, waitForStatus } from '../helpers/stack.ts';

type Query = Omit<ExploreDatasetPayload, 'v' | 'jobId'>;

function explore(app: FastifyInstance, query: Query): Promise<ExploreDatasetResult> {
  return app.services.inference.request('explore-dataset', { v: 1, jobId: RequestClient.requestId(), ...query }, 30_000);
}

/** An entry's picture decoded to HWC pixels at its own channel count. */
async function picture(entry: ExploreEntry): Promise<{ format: string | undefined; width: number; height: number; channels: number; pixels: Buffer }> {
  const bytes = Buffer.from(entry.data, 'base64');
  const meta = await sharp(bytes).metadata();
  const pixels = await sharp(bytes).toColourspace(meta.channels === 1 ? 'b-w' : 'srgb').raw().toBuffer();
  return { format: meta.format, width: meta.width!, height: meta.height!, channels: meta.channels!, pixels };
}

const countByLabel = (entries: DecodedEntry[]) => entries.reduce((m, e) => m.set(e.label, (m.get(e.label) ?? 0) + 1), new Map<number, number>());

t.test('explore-dataset pages DB entries as pictures', async (t) => {
  const stack = await startStack(t);
  const cookie = await login(stack.app, 'alice');
  const mnistDir = path.join(stack.dataDir, 'mnist');
  await writeMnistPngs(mnistDir, { splits: ['train'], perClass: 15 });
  const colours = path.join(stack.dataDir, 'colours');
  await writeColourClasses(colours, ['red', 'green', 'blue'], 5, { width: 45, height: 31 });
  const build = async (fields: Record<string, string>) => {
    const res = await createDataset(stack.app, cookie, fields);
    t.equal(res.statusCode, 200, res.body);
    return (res.json() as { id: string }).id;
  };
  const mnist = { folder_train: path.join(mnistDir, 'train'), resize_channels: '1', resize_width: '28', resize_height: '28', folder_pct_val: '20' };
  const colour = { folder_train: colours, resize_channels: '3', resize_width: '32', resize_height: '24', resize_mode: 'crop', folder_pct_val: '0' };
  const ids = {
    png: await build({ dataset_name: 'mnist-png', encoding: 'png', ...mnist }),
    none: await build({ dataset_name: 'mnist-none', encoding: 'none', ...mnist }),
    colourNone: await build({ dataset_name: 'colour-none', encoding: 'none', ...colour }),
    colourJpg: await build({ dataset_name: 'colour-jpg', encoding: 'jpg', ...colour }),
  };
  for (const id of Object.values(ids)) t.equal(await waitForStatus(stack.app, id), 'Done');
  const dbOf = (id: string, stage: string) => path.join(stack.jobsDir, id, `${stage}_db`);

  await t.test('paging follows DB key order', async (t) => {
    const stored = await readDb(dbOf(ids.png, 'train'));
    t.equal(stored.length, 120);
    const first = await explore(stack.app, { datasetId: ids.png, db: 'train', page: 0, size: 25, label: null });
    t.equal(first.total, 120);
    t.same(first.labels, ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
    t.same(first.entries.map((e) => e.key), stored.slice(0, 25).map((e) => e.key));
    t.same(first.entries.map((e) => e.label), stored.slice(0, 25).map((e) => e.label));
    const third = await explore(stack.app, { datasetId: ids.png, db: 'train', page: 2, size: 25, label: null });
    t.same(third.entries.map((e) => e.key), stored.slice(50, 75).map((e) => e.key));
    const last = await explore(stack.app, { datasetId: ids.png, db: 'train', page: 4, size: 25, label: null });
    t.same(last.entries.map((e) => e.key), stored.slice(100).map((e) => e.key), 'a short last page');
    t.same((await explore(stack.app, { datasetId: ids.png, db: 'train', page: 5, size: 25, label: null })).entries, [], 'past the end');
    const val = await explore(stack.app, { datasetId: ids.png, db: 'val', page: 0, size: 100, label: null });
    t.equal(val.total, 30);
    t.same(val.entries.map((e) => e.key), (await readDb(dbOf(ids.png, 'val'))).map((e) => e.key));
  });

  await t.test('a class filter counts and pages that class only', async (t) => {
    for (const id of [ids.png, ids.none]) {
      const stored = await readDb(dbOf(id, 'train'));
      const counts = countByLabel(stored);
      let sum = 0;
      for (let label = 0; label < 10; label++) {
        const result = await explore(stack.app, { datasetId: id, db: 'train', page: 1, size: 4, label });
        t.equal(result.total, counts.get(label) ?? 0, `class ${label}: total is the dataset's count`);
        t.same(result.entries.map((e) => e.key), stored.filter((e) => e.label === label).slice(4, 8).map((e) => e.key), `class ${label}: second page`);
        t.ok(result.entries.every((e) => e.label === label));
        sum += result.total;
      }
      t.equal(sum, stored.length, 'every entry is in one class');
      t.same(await explore(stack.app, { datasetId: id, db: 'train', page: 0, size: 10, label: 10 }), { total: 0, labels: [...'0123456789'], entries: [] }, 'a class the dataset lacks');
    }
  });

  await t.test('encoded entries come as stored, raw ones as PNG of the same pixels', async (t) => {
    const cases = [
      { id: ids.png, stage: 'train', mime: 'image/png', channels: 1, width: 28, height: 28 },
      { id: ids.none, stage: 'train', mime: 'image/png', channels: 1, width: 28, height: 28 },
      { id: ids.colourNone, stage: 'train', mime: 'image/png', channels: 3, width: 32, height: 24 },
      { id: ids.colourJpg, stage: 'train', mime: 'image/jpeg', channels: 3, width: 32, height: 24 },
    ] as const;
    for (const c of cases) {
      const name = path.basename(c.id) + ` ${c.mime} ${c.channels}`;
      const stored = await readDb(dbOf(c.id, c.stage));
      const result = await explore(stack.app, { datasetId: c.id, db: c.stage, page: 0, size: 12, label: null });
      t.equal(result.entries.length, 12, name);
      const reader = openDbReader(dbOf(c.id, c.stage));
      try {
        for (const [i, entry] of result.entries.entries()) {
          t.equal(entry.mime, c.mime);
          const pic = await picture(entry);
          t.match(pic, { format: c.mime === 'image/png' ? 'png' : 'jpeg', width: c.width, height: c.height, channels: c.channels }, `${name}: ${entry.key} shape`);
          const datum = decodeDatum(reader.get(entry.key)!);
          if (datum.encoded) t.same(Buffer.from(entry.data, 'base64'), Buffer.from(datum.data), `${name}: ${entry.key} bytes as stored`);
          else t.same(pic.pixels, stored[i]!.pixels, `${name}: ${entry.key} pixels (RGB order)`);
        }
      } finally {
        reader.close();
      }
    }
  });

  await t.test('generic and prebuilt datasets', async (t) => {
    const post = (url: string, fields: Record<string, string>) => {
      const body = multipart(fields);
      return stack.app.inject({ method: 'POST', url, payload: body.payload, headers: { ...body.headers, cookie } });
    };
    const gradients = (await post('/datasets/generic/create/image-gradients.json', { dataset_name: 'g', train_image_count: '30', val_image_count: '10', image_width: '16', image_height: '16' })).json() as { id: string };
    t.equal(await waitForStatus(stack.app, gradients.id), 'Done');
    const page = await explore(stack.app, { datasetId: gradients.id, db: 'train_db/features', page: 1, size: 20, label: null });
    t.equal(page.total, 30);
    t.same(page.labels, []);
    t.same(page.entries.map((e) => e.key), Array.from({ length: 10 }, (_, i) => String(20 + i).padStart(9, '0')));
    t.ok(page.entries.every((e) => e.label === null && e.mime === 'image/png'));
    t.match(await picture(page.entries[0]!), { width: 16, height: 16, channels: 1 });
    const same = await explore(stack.app, { datasetId: gradients.id, db: './val_db/features/', page: 0, size: 5, label: null });
    t.equal(same.total, 10, 'the folder is matched resolved');
    await t.rejects(explore(stack.app, { datasetId: gradients.id, db: 'train_db/features', page: 0, size: 5, label: 1 }), { code: 'BAD_REQUEST', message: /no class to filter by/ });
    await t.rejects(explore(stack.app, { datasetId: gradients.id, db: 'train', page: 0, size: 5, label: null }), { code: 'NOT_FOUND', message: /has no DB "train"; it has train_db\/features, train_db\/labels/ });
    await t.rejects(explore(stack.app, { datasetId: gradients.id, db: 'train_db/labels', page: 0, size: 5, label: null }), { code: 'BAD_REQUEST', message: /no uint8 image data/ }, 'label vectors are no pictures');

    // a prebuilt dataset on a copy of the raw MNIST train DB; its DB is named by its recorded path
    const copy = path.join(stack.dataDir, 'dbs', 'train_db');
    await fs.cp(dbOf(ids.none, 'train'), copy, { recursive: true });
    const prebuilt = (await post('/datasets/images/generic.json', { dataset_name: 'pre', method: 'prebuilt', prebuilt_train_images: copy })).json() as { id: string };
    t.equal(await waitForStatus(stack.app, prebuilt.id), 'Done');
    const recorded = (await readDatasetManifest(path.join(stack.jobsDir, prebuilt.id))).stages.train!.db;
    const result = await explore(stack.app, { datasetId: prebuilt.id, db: recorded, page: 0, size: 3, label: null });
    t.equal(result.total, 120);
    const stored = await readDb(copy);
    t.same(result.entries.map((e) => [e.key, e.label]), stored.slice(0, 3).map((e) => [e.key, null]));
    t.same((await picture(result.entries[2]!)).pixels, stored[2]!.pixels);
    await t.rejects(explore(stack.app, { datasetId: prebuilt.id, db: path.join(stack.jobsDir, ids.none, 'train_db'), page: 0, size: 3, label: null }), { code: 'NOT_FOUND' }, 'another dataset\'s DB');
  });

  await t.test('refusals carry catalogue codes', async (t) => {
    await t.rejects(explore(stack.app, { datasetId: ids.png, db: 'test', page: 0, size: 5, label: null }), { code: 'NOT_FOUND', message: `dataset ${ids.png} has no "test" DB; it has train, val` });
    await t.rejects(explore(stack.app, { datasetId: ids.png, db: 'train_db', page: 0, size: 5, label: null }), { code: 'NOT_FOUND' });
    await t.rejects(explore(stack.app, { datasetId: ids.png, db: '../../etc', page: 0, size: 5, label: null }), { code: 'NOT_FOUND' });
    await t.rejects(explore(stack.app, { datasetId: '20000101-000000-abcd', db: 'train', page: 0, size: 5, label: null }), { code: 'JOB_NOT_FOUND' });
    await t.rejects(explore(stack.app, { datasetId: '../x', db: 'train', page: 0, size: 5, label: null }), { code: 'JOB_NOT_FOUND' });
    await t.rejects(explore(stack.app, { datasetId: ids.png, db: 'train', page: 0, size: 101, label: null }), { code: 'INVALID_PAYLOAD' }, 'checked when enqueued');
    // a dataset whose build has not published its manifest yet
    await fs.rename(path.join(stack.jobsDir, ids.colourJpg, 'dataset-manifest.json'), path.join(stack.jobsDir, ids.colourJpg, 'hidden.json'));
    await t.rejects(explore(stack.app, { datasetId: ids.colourJpg, db: 'train', page: 0, size: 5, label: null }), { code: 'DATASET_NOT_READY' });
  });
});
