// Hostile and unusual inputs to dataset creation: form errors, paths outside DATA_ROOTS,
// traversal on /files, textfile uploads, corrupt and non-image files, oversized images.
import fs from 'node:fs/promises';
import path from 'node:path';
import t from 'tap';
import sharp from 'sharp';
import { writeMnistPngs } from '../../scripts/mnist.ts';
import { createDataset, readDb } from '../helpers/datasets.ts';
import { login, startStack, waitForStatus } from '../helpers/stack.ts';

t.test('form validation answers 400 with WTForms-shaped errors and a code', async (t) => {
  const stack = await startStack(t, { worker: false });
  const alice = await login(stack.app, 'alice');
  const cases: Array<[Record<string, string>, Record<string, string[]>]> = [
    [{}, { dataset_name: ['This field is required.'], folder_train: ['This field is required.'] }],
    [{ dataset_name: 'x', folder_train: stack.dataDir, resize_width: '0' }, { resize_width: ['This field is required.'] }],
    [{ dataset_name: 'x', folder_train: stack.dataDir, resize_width: 'wide' }, { resize_width: ['Not a valid integer value'] }],
    [{ dataset_name: 'x', folder_train: stack.dataDir, resize_mode: 'stretch' }, { resize_mode: ['Not a valid choice'] }],
    [{ dataset_name: 'x', folder_train: stack.dataDir, folder_pct_val: '101' }, { folder_pct_val: ['Number must be between 0 and 100.'] }],
    [{ dataset_name: 'x', folder_train: stack.dataDir, folder_pct_val: '60', folder_pct_test: '50' }, { folder_pct_val: ['the sum of percent_val and percent_test must not exceed 100'] }],
    [{ dataset_name: 'x', folder_train: stack.dataDir, backend: 'hdf5' }, { backend: ['hdf5 is not supported by DIGITS-TS; use lmdb'] }],
    [{ dataset_name: 'x', folder_train: 'relative/dir' }, { folder_train: ['Filesystem path is not absolute'] }],
    [{ dataset_name: 'x', folder_train: path.join(stack.dataDir, 'missing') }, { folder_train: ['Folder does not exist'] }],
    [{ dataset_name: 'x', method: 'textfile' }, { textfile_train_images: ['This field is required.'], textfile_labels_file: ['This field is required.'] }],
  ];
  for (const [fields, errors] of cases) {
    const res = await createDataset(stack.app, alice, fields);
    t.equal(res.statusCode, 400, JSON.stringify(fields));
    t.same(res.json(), { errors, code: 'VALIDATION_FAILED' });
  }
  t.same((await stack.app.inject('/index.json')).json().datasets, [], 'no job was created');
});

t.test('server paths outside DATA_ROOTS are refused, also through .. and symlinks', async (t) => {
  const stack = await startStack(t, { worker: false });
  const alice = await login(stack.app, 'alice');
  await fs.symlink('/etc', path.join(stack.dataDir, 'escape'));
  for (const folder of ['/etc', `${stack.dataDir}/../jobs`, path.join(stack.dataDir, 'escape'), `${stack.dataDir}2`]) {
    const res = await createDataset(stack.app, alice, { dataset_name: 'x', folder_train: folder });
    t.equal(res.statusCode, 400, folder);
    const body = res.json();
    t.equal(body.code, 'PATH_NOT_ALLOWED');
    t.match(body.errors.folder_train[0], /DATA_ROOTS/);
  }
  const local = await createDataset(stack.app, alice, { dataset_name: 'x', method: 'textfile', textfile_use_local_files: 'y', textfile_local_train_images: '/etc/passwd', textfile_local_labels_file: '/etc/hostname' });
  t.equal(local.json().code, 'PATH_NOT_ALLOWED');
  t.same(Object.keys(local.json().errors).sort(), ['textfile_local_labels_file', 'textfile_local_train_images']);
});

t.test('/files serves job files and nothing else', async (t) => {
  const stack = await startStack(t);
  await writeMnistPngs(path.join(stack.dataDir, 'm'), { splits: ['train'], perClass: 3 });
  const alice = await login(stack.app, 'alice');
  const { id } = (await createDataset(stack.app, alice, { dataset_name: 'm', folder_train: path.join(stack.dataDir, 'm', 'train'), resize_channels: '1', resize_width: '28', resize_height: '28' })).json() as { id: string };
  t.equal(await waitForStatus(stack.app, id), 'Done');
  const labels = await stack.app.inject(`/files/${id}/labels.txt`);
  t.equal(labels.statusCode, 200);
  t.equal(labels.body, '0\n1\n2\n3\n4\n5\n6\n7\n8\n9\n');
  t.equal((await stack.app.inject(`/files/${id}/mean.jpg`)).headers['content-type'], 'image/jpeg');
  await fs.symlink('/etc/passwd', path.join(stack.jobsDir, id, 'passwd'));
  for (const url of [`/files/../../etc/passwd`, `/files/%2e%2e/%2e%2e/etc/passwd`, `/files/${id}/..%2f..%2f..%2fetc%2fpasswd`, '/files/.session-key', `/files/${id}/passwd`, `/files/${id}`, '/files/nope.txt']) {
    const res = await stack.app.inject(url);
    t.equal(res.statusCode, 404, url);
    t.notMatch(res.body, /root:/, 'no file content leaked');
  }
});

t.test('textfile uploads: lists, folders, labels; entries outside DATA_ROOTS are skipped', async (t) => {
  const stack = await startStack(t);
  const mnist = path.join(stack.dataDir, 'm');
  await writeMnistPngs(mnist, { splits: ['train'], perClass: 4 });
  const alice = await login(stack.app, 'alice');
  // use the real file names written by writeMnistPngs
  const files = async (d: number) => (await fs.readdir(path.join(mnist, 'train', String(d)))).map((f) => `${d}/${f} ${d}`);
  const train = [...(await files(0)), ...(await files(1)), '   ', 'not a line', '/etc/passwd 0', 'http://example.com/a.png 1'].join('\n');
  const val = (await files(2)).map((l) => path.join(mnist, 'train', l)).join('\n');
  const res = await createDataset(stack.app, alice, {
    dataset_name: 'lists', method: 'textfile', textfile_train_folder: path.join(mnist, 'train'), textfile_use_val: 'y', textfile_shuffle: '0',
    resize_channels: '1', resize_width: '28', resize_height: '28',
  }, {
    textfile_train_images: { filename: 'train.txt', data: train },
    textfile_val_images: { filename: 'val.txt', data: val },
    textfile_labels_file: { filename: 'labels.txt', data: 'zero\none\ntwo\n' },
  });
  t.equal(res.statusCode, 200, res.body);
  const { id } = res.json() as { id: string };
  t.equal(await waitForStatus(stack.app, id), 'Done');
  const json = (await stack.app.inject(`/datasets/${id}.json`)).json();
  t.same(json.ParseFolderTasks, [], 'no parse task for textfile input');
  t.match(json.CreateDbTasks, [{ name: 'Create DB (train)', entries: 8 }, { name: 'Create DB (val)', entries: 4 }]);
  t.equal(json.skipped_images.count, 2);
  t.same(json.skipped_images.items.map((i: { code: string }) => i.code), ['PATH_NOT_ALLOWED', 'PATH_NOT_ALLOWED']);
  t.equal(await fs.readFile(path.join(stack.jobsDir, id, 'labels.txt'), 'utf8'), 'zero\none\ntwo\n');
  const entries = await readDb(path.join(stack.jobsDir, id, 'train_db'));
  t.same(entries.map((e) => e.label), [0, 0, 0, 0, 1, 1, 1, 1], 'textfile_shuffle=0 keeps list order');
});

t.test('corrupt, truncated, non-image and oversized files are skipped and listed; none readable → Error', async (t) => {
  const stack = await startStack(t, { env: { IMAGE_MAX_PIXELS: '10000' } });
  const root = path.join(stack.dataDir, 'mixed');
  for (const c of ['a', 'b']) {
    await fs.mkdir(path.join(root, c), { recursive: true });
    for (let i = 0; i < 4; i++) await sharp({ create: { width: 20, height: 10, channels: 3, background: { r: 60 * i, g: 0, b: 0 } } }).png().toFile(path.join(root, c, `${i}.png`));
  }
  const good = await fs.readFile(path.join(root, 'a', '0.png'));
  await fs.writeFile(path.join(root, 'a', 'truncated.png'), good.subarray(0, good.length - 20));
  await fs.writeFile(path.join(root, 'a', 'text.jpg'), 'this is not an image');
  await fs.writeFile(path.join(root, 'b', 'README.txt'), 'ignored: not an image extension');
  await sharp({ create: { width: 200, height: 200, channels: 3, background: 'white' } }).png().toFile(path.join(root, 'b', 'huge.png'));
  const alice = await login(stack.app, 'alice');
  const { id } = (await createDataset(stack.app, alice, { dataset_name: 'mixed', folder_train: root, resize_width: '16', resize_height: '16', resize_mode: 'crop', folder_pct_val: '0' })).json() as { id: string };
  t.equal(await waitForStatus(stack.app, id), 'Done', 'bad images do not fail the build');
  const json = (await stack.app.inject(`/datasets/${id}.json`)).json();
  t.equal(json.CreateDbTasks[0].entries, 8);
  t.equal(json.skipped_images.count, 3);
  const codes = Object.fromEntries(json.skipped_images.items.map((i: { source: string; code: string }) => [path.basename(i.source), i.code]));
  t.same(codes, { 'truncated.png': 'IMAGE_DECODE_FAILED', 'text.jpg': 'IMAGE_DECODE_FAILED', 'huge.png': 'IMAGE_TOO_LARGE' });
  t.match(await fs.readFile(path.join(stack.jobsDir, id, 'create_train_db.log'), 'utf8'), /WARNING: skipped .*truncated\.png/);

  const broken = path.join(stack.dataDir, 'broken');
  for (const c of ['x', 'y']) {
    await fs.mkdir(path.join(broken, c), { recursive: true });
    for (let i = 0; i < 3; i++) await fs.writeFile(path.join(broken, c, `${i}.png`), `garbage ${i}`);
  }
  const { id: bad } = (await createDataset(stack.app, alice, { dataset_name: 'broken', folder_train: broken })).json() as { id: string };
  t.equal(await waitForStatus(stack.app, bad), 'Error');
  const badJson = (await stack.app.inject(`/datasets/${bad}.json`)).json();
  t.match(badJson.error, { code: 'DATASET_BUILD_FAILED', message: 'no images written to database' });
  await t.rejects(fs.stat(path.join(stack.jobsDir, bad, 'train_db')), 'nothing half-built is published');

  const flat = path.join(stack.dataDir, 'flat');
  await fs.mkdir(path.join(flat, 'only'), { recursive: true });
  const { id: one } = (await createDataset(stack.app, alice, { dataset_name: 'flat', folder_train: flat })).json() as { id: string };
  t.equal(await waitForStatus(stack.app, one), 'Error');
  t.match((await stack.app.inject(`/datasets/${one}.json`)).json().error.message, /at least two subdirectories/);
});
