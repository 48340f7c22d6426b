// parseDatasetForm: the image-classification dataset form of contract §6.1 (and §1.4–1.5).
import t from 'tap';
import { BuildDatasetPayload, compileChecker, DatasetBuildOptions, JOBS, queueJobIdOf } from '@digits-ts/contracts';
import { DATASET_FORM, DATASET_UPLOAD_FIELDS, parseDatasetForm, REQUIRED, type FormErrors, type FormFields, type ParsedDatasetForm } from '../../../apps/gateway/src/forms/index.ts';

/** A subtest's `t`. */
type Test = Parameters<Parameters<typeof t.test>[0]>[0];

const optionsChecker = compileChecker(DatasetBuildOptions);
const payloadChecker = compileChecker(BuildDatasetPayload);

const ALL_UPLOADS = Object.keys(DATASET_UPLOAD_FIELDS);

/** Parses and insists on success; every successful result must satisfy the worker's schema. */
function ok(t: Test, fields: FormFields, uploads: readonly string[] = []): ParsedDatasetForm {
  const result = parseDatasetForm(fields, new Set(uploads));
  if ('errors' in result) {
    t.fail(`unexpected errors ${JSON.stringify(result.errors)}`);
    throw new Error('form did not parse');
  }
  t.ok(optionsChecker.check(result.form.options), 'options satisfy DatasetBuildOptions');
  t.ok(payloadChecker.check({ v: 1, jobId: '20240102-030405-abcd', options: result.form.options }), 'and make a valid build-dataset payload');
  return result.form;
}

/** Parses and insists on failure. */
function errorsOf(t: Test, fields: FormFields, uploads: readonly string[] = []): FormErrors {
  const result = parseDatasetForm(fields, new Set(uploads));
  if (!('errors' in result)) {
    t.fail(`expected errors, got ${JSON.stringify(result.form.options)}`);
    return {};
  }
  return result.errors;
}

const FOLDER = { dataset_name: 'mnist', folder_train: '/data/mnist/train' };
const TEXTFILE = { dataset_name: 'lists', method: 'textfile' };

t.test('defaults (folder method, only the required fields sent)', async (t) => {
  const form = ok(t, FOLDER);
  t.equal(form.name, 'mnist');
  t.equal(form.group, '');
  t.same(form.options, {
    channels: 3,
    width: 256,
    height: 256,
    resizeMode: 'squash',
    encoding: 'png',
    backend: 'lmdb',
    compression: 'none',
    method: 'folder',
    folder: {
      train: { folder: '/data/mnist/train', minPerClass: 2, maxPerClass: null },
      pctVal: 25,
      pctTest: 0,
      val: null,
      test: null,
    },
  });
  t.notOk('textfile' in form.options, 'no textfile section for the folder method');
  t.same(form.serverPaths, [{ field: 'folder_train', path: '/data/mnist/train', kind: 'dir' }]);
});

t.test('common fields', async (t) => {
  const form = ok(t, {
    ...FOLDER, dataset_name: '  spaced  ', group_name: ' g ', resize_channels: '1', resize_width: '28', resize_height: '32',
    resize_mode: 'half_crop', encoding: 'jpg', compression: 'gzip', folder_train: '  /data/x  ',
  });
  t.equal(form.name, 'spaced', 'name trimmed');
  t.equal(form.group, 'g', 'group trimmed');
  t.match(form.options, { channels: 1, width: 28, height: 32, resizeMode: 'half_crop', encoding: 'jpg' });
  t.equal(form.options.compression, 'none', 'compression forced to none for lmdb');
  t.equal(form.options.folder?.train.folder, '/data/x', 'folder trimmed');
  t.same(form.serverPaths, [{ field: 'folder_train', path: '/data/x', kind: 'dir' }]);
  for (const mode of ['crop', 'squash', 'fill', 'half_crop']) t.equal(ok(t, { ...FOLDER, resize_mode: mode }).options.resizeMode, mode);
  for (const encoding of ['none', 'png', 'jpg']) t.equal(ok(t, { ...FOLDER, encoding }).options.encoding, encoding);
});

interface ErrorCase { name: string; fields: FormFields; uploads?: string[]; errors: FormErrors }

const PCT_SUM = 'the sum of percent_val and percent_test must not exceed 100';

// Each row lists the complete error object expected.
const ERROR_CASES: ErrorCase[] = [
  { name: 'nothing sent', fields: {}, errors: { dataset_name: [REQUIRED], folder_train: [REQUIRED] } },
  { name: 'blank name', fields: { ...FOLDER, dataset_name: '  ' }, errors: { dataset_name: [REQUIRED] } },
  { name: 'blank folder_train', fields: { ...FOLDER, folder_train: ' ' }, errors: { folder_train: [REQUIRED] } },
  { name: 'width 0', fields: { ...FOLDER, resize_width: '0' }, errors: { resize_width: [REQUIRED] } },
  { name: 'height blank', fields: { ...FOLDER, resize_height: '' }, errors: { resize_height: [REQUIRED] } },
  { name: 'width not a number', fields: { ...FOLDER, resize_width: 'wide' }, errors: { resize_width: ['Not a valid integer value'] } },
  { name: 'channels 2', fields: { ...FOLDER, resize_channels: '2' }, errors: { resize_channels: ['Not a valid choice'] } },
  { name: 'bad resize mode', fields: { ...FOLDER, resize_mode: 'stretch' }, errors: { resize_mode: ['Not a valid choice'] } },
  { name: 'bad encoding', fields: { ...FOLDER, encoding: 'webp' }, errors: { encoding: ['Not a valid choice'] } },
  { name: 'bad compression', fields: { ...FOLDER, compression: 'lz4' }, errors: { compression: ['Not a valid choice'] } },
  { name: 'bad method', fields: { ...FOLDER, method: 'ftp' }, errors: { method: ['Not a valid choice'] } },
  { name: 'pct val 101', fields: { ...FOLDER, folder_pct_val: '101' }, errors: { folder_pct_val: ['Number must be between 0 and 100.'] } },
  { name: 'pct test -1', fields: { ...FOLDER, folder_pct_test: '-1' }, errors: { folder_pct_test: ['Number must be between 0 and 100.'] } },
  { name: 'pct val blank', fields: { ...FOLDER, folder_pct_val: '' }, errors: { folder_pct_val: ['Not a valid integer value'] } },
  { name: 'pct val + test > 100', fields: { ...FOLDER, folder_pct_val: '60', folder_pct_test: '41' }, errors: { folder_pct_val: [PCT_SUM] } },
  { name: 'min per class 0', fields: { ...FOLDER, folder_train_min_per_class: '0' }, errors: { folder_train_min_per_class: ['Number must be at least 1.'] } },
  { name: 'max per class 0', fields: { ...FOLDER, folder_train_max_per_class: '0' }, errors: { folder_train_max_per_class: ['Number must be at least 1.', 'Field must be greater than folder_train_min_per_class.'] } },
  {
    name: 'max < min', fields: { ...FOLDER, folder_train_min_per_class: '5', folder_train_max_per_class: '4' },
    errors: { folder_train_max_per_class: ['Field must be greater than folder_train_min_per_class.'] },
  },
  {
    name: 'max < default min (2)', fields: { ...FOLDER, folder_train_max_per_class: '1' },
    errors: { folder_train_max_per_class: ['Field must be greater than folder_train_min_per_class.'] },
  },
  { name: 'has_val_folder without folder_val', fields: { ...FOLDER, has_val_folder: 'y' }, errors: { folder_val: [REQUIRED] } },
  { name: 'has_test_folder without folder_test', fields: { ...FOLDER, has_test_folder: 'y', folder_test: ' ' }, errors: { folder_test: [REQUIRED] } },
  {
    name: 'val folder max < min', fields: { ...FOLDER, has_val_folder: 'y', folder_val: '/v', folder_val_min_per_class: '3', folder_val_max_per_class: '2' },
    errors: { folder_val_max_per_class: ['Field must be greater than folder_val_min_per_class.'] },
  },
  {
    name: 'test folder max < min', fields: { ...FOLDER, has_test_folder: 'y', folder_test: '/t', folder_test_max_per_class: '1' },
    errors: { folder_test_max_per_class: ['Field must be greater than folder_test_min_per_class.'] },
  },
  { name: 'textfile, nothing uploaded', fields: TEXTFILE, errors: { textfile_train_images: [REQUIRED], textfile_labels_file: [REQUIRED] } },
  { name: 'textfile, no labels', fields: TEXTFILE, uploads: ['textfile_train_images'], errors: { textfile_labels_file: [REQUIRED] } },
  { name: 'textfile, no train list', fields: TEXTFILE, uploads: ['textfile_labels_file'], errors: { textfile_train_images: [REQUIRED] } },
  {
    name: 'textfile, use_val without a val list', fields: { ...TEXTFILE, textfile_use_val: 'y' }, uploads: ['textfile_train_images', 'textfile_labels_file'],
    errors: { textfile_val_images: [REQUIRED] },
  },
  {
    name: 'textfile, use_test without a test list', fields: { ...TEXTFILE, textfile_use_test: 'y' }, uploads: ['textfile_train_images', 'textfile_labels_file'],
    errors: { textfile_test_images: [REQUIRED] },
  },
  {
    name: 'textfile, local files but no paths', fields: { ...TEXTFILE, textfile_use_local_files: 'y' },
    errors: { textfile_local_train_images: [REQUIRED], textfile_local_labels_file: [REQUIRED] },
  },
  {
    name: 'textfile, local files: uploads do not count for the image lists',
    fields: { ...TEXTFILE, textfile_use_local_files: 'y', textfile_local_labels_file: '/l.txt', textfile_use_val: 'y', textfile_use_test: 'y' },
    uploads: ALL_UPLOADS,
    errors: { textfile_local_train_images: [REQUIRED], textfile_local_val_images: [REQUIRED], textfile_local_test_images: [REQUIRED] },
  },
  { name: 'textfile_shuffle takes 1/0 only', fields: { ...TEXTFILE, textfile_shuffle: 'true' }, uploads: ALL_UPLOADS, errors: { textfile_shuffle: ['Not a valid choice'] } },
];

t.test('validation errors (WTForms shape: field → messages)', async (t) => {
  for (const { name, fields, uploads, errors } of ERROR_CASES) t.same(errorsOf(t, fields, uploads), errors, name);
});

t.test('unsupported backend and method are refused on their own field', async (t) => {
  const hdf5 = errorsOf(t, { ...FOLDER, backend: 'hdf5' });
  t.same(Object.keys(hdf5), ['backend']);
  t.match(hdf5.backend, [/hdf5/]);
  const s3 = errorsOf(t, { ...FOLDER, method: 's3' });
  t.same(Object.keys(s3), ['method']);
  t.match(s3.method, [/s3/]);
  const both = errorsOf(t, { dataset_name: 'x', method: 's3', backend: 'hdf5', s3_bucket: 'b' });
  t.ok(both.backend && both.method, 'both reported together');
});

t.test('folder percentages', async (t) => {
  t.match(ok(t, { ...FOLDER, folder_pct_val: '0', folder_pct_test: '0' }).options.folder, { pctVal: 0, pctTest: 0 });
  t.match(ok(t, { ...FOLDER, folder_pct_val: '60', folder_pct_test: '40' }).options.folder, { pctVal: 60, pctTest: 40 }, 'exactly 100 is fine');
  t.match(ok(t, { ...FOLDER, folder_pct_val: '100' }).options.folder, { pctVal: 100, pctTest: 0 });
});

t.test('per-class limits', async (t) => {
  const table: Array<[FormFields, { minPerClass: number; maxPerClass: number | null }]> = [
    [{}, { minPerClass: 2, maxPerClass: null }],
    [{ folder_train_min_per_class: '' }, { minPerClass: 1, maxPerClass: null }],
    [{ folder_train_min_per_class: '1' }, { minPerClass: 1, maxPerClass: null }],
    [{ folder_train_max_per_class: '' }, { minPerClass: 2, maxPerClass: null }],
    [{ folder_train_max_per_class: '2' }, { minPerClass: 2, maxPerClass: 2 }],
    [{ folder_train_min_per_class: '3', folder_train_max_per_class: '3' }, { minPerClass: 3, maxPerClass: 3 }],
    [{ folder_train_min_per_class: '', folder_train_max_per_class: '1' }, { minPerClass: 1, maxPerClass: 1 }],
    [{ folder_train_min_per_class: '10', folder_train_max_per_class: '1000' }, { minPerClass: 10, maxPerClass: 1000 }],
  ];
  for (const [fields, expected] of table) {
    t.same(ok(t, { ...FOLDER, ...fields }).options.folder?.train, { folder: '/data/mnist/train', ...expected }, JSON.stringify(fields));
  }
});

t.test('separate val and test folders', async (t) => {
  const val = ok(t, { ...FOLDER, has_val_folder: 'y', folder_val: '/data/mnist/val', folder_pct_val: '30', folder_pct_test: '10' });
  t.same(val.options.folder, {
    train: { folder: '/data/mnist/train', minPerClass: 2, maxPerClass: null },
    pctVal: 0,
    pctTest: 10,
    val: { folder: '/data/mnist/val', minPerClass: 2, maxPerClass: null },
    test: null,
  }, 'a val folder means pctVal 0; pctTest still applies');
  t.same(val.serverPaths, [
    { field: 'folder_train', path: '/data/mnist/train', kind: 'dir' },
    { field: 'folder_val', path: '/data/mnist/val', kind: 'dir' },
  ]);

  const both = ok(t, {
    ...FOLDER, has_val_folder: 'on', folder_val: '/v', folder_val_min_per_class: '', folder_val_max_per_class: '9',
    has_test_folder: 'True', folder_test: '/t', folder_test_min_per_class: '4', folder_pct_val: '90', folder_pct_test: '90',
  });
  t.same(both.options.folder, {
    train: { folder: '/data/mnist/train', minPerClass: 2, maxPerClass: null },
    pctVal: 0,
    pctTest: 0,
    val: { folder: '/v', minPerClass: 1, maxPerClass: 9 },
    test: { folder: '/t', minPerClass: 4, maxPerClass: null },
  }, 'with both folders the percentages are unused (so their sum is not checked)');
  t.same(both.serverPaths.map((p) => p.field).sort(), ['folder_test', 'folder_train', 'folder_val']);

  const off = ok(t, { ...FOLDER, has_val_folder: 'false', folder_val: '/ignored', has_test_folder: '' });
  t.match(off.options.folder, { pctVal: 25, val: null, test: null }, '"false" and "" leave the folders off');
  t.same(off.serverPaths.map((p) => p.field), ['folder_train'], 'an unused folder is not a server path');
});

t.test('textfile with uploads', async (t) => {
  const form = ok(t, TEXTFILE, ['textfile_train_images', 'textfile_labels_file']);
  t.same(form.options.textfile, {
    train: { source: 'upload', path: 'train.txt', folder: null },
    val: null,
    test: null,
    labels: { source: 'upload', path: 'labels.txt' },
    shuffle: true,
  }, 'textfile_use_val absent → no val; shuffle defaults to 1');
  t.notOk('folder' in form.options, 'no folder section for the textfile method');
  t.same(form.serverPaths, []);

  const full = ok(t, {
    ...TEXTFILE, textfile_use_val: 'y', textfile_use_test: 'y', textfile_shuffle: '0',
    textfile_train_folder: ' /imgs/train ', textfile_val_folder: '/imgs/val', textfile_test_folder: '',
  }, ALL_UPLOADS);
  t.same(full.options.textfile, {
    train: { source: 'upload', path: 'train.txt', folder: '/imgs/train' },
    val: { source: 'upload', path: 'val.txt', folder: '/imgs/val' },
    test: { source: 'upload', path: 'test.txt', folder: null },
    labels: { source: 'upload', path: 'labels.txt' },
    shuffle: false,
  });
  t.same(full.serverPaths.sort((a, b) => a.field.localeCompare(b.field)), [
    { field: 'textfile_train_folder', path: '/imgs/train', kind: 'dir' },
    { field: 'textfile_val_folder', path: '/imgs/val', kind: 'dir' },
  ], 'image folders are server paths even with uploaded lists');

  t.equal(ok(t, { ...TEXTFILE, textfile_shuffle: '1' }, ALL_UPLOADS).options.textfile?.shuffle, true, 'textfile_shuffle 1');
  t.equal(ok(t, { ...TEXTFILE, textfile_use_val: '' }, ALL_UPLOADS).options.textfile?.val, null, 'textfile_use_val "" → no val');
  t.equal(ok(t, { ...TEXTFILE, textfile_use_val: 'false' }, ALL_UPLOADS).options.textfile?.val, null, 'textfile_use_val "false" → no val');
  t.same(DATASET_UPLOAD_FIELDS, { textfile_train_images: 'train.txt', textfile_val_images: 'val.txt', textfile_test_images: 'test.txt', textfile_labels_file: 'labels.txt' });
});

t.test('textfile with local (server) files names every path with its field', async (t) => {
  const form = ok(t, {
    ...TEXTFILE, textfile_use_local_files: 'y',
    textfile_local_train_images: '/lists/train.txt', textfile_train_folder: '/imgs',
    textfile_use_val: 'y', textfile_local_val_images: ' /lists/val.txt ', textfile_val_folder: '/imgs',
    textfile_use_test: 'y', textfile_local_test_images: '/lists/test.txt', textfile_test_folder: '/imgs/test',
    textfile_local_labels_file: '/lists/labels.txt',
  });
  t.same(form.options.textfile, {
    train: { source: 'server', path: '/lists/train.txt', folder: '/imgs' },
    val: { source: 'server', path: '/lists/val.txt', folder: '/imgs' },
    test: { source: 'server', path: '/lists/test.txt', folder: '/imgs/test' },
    labels: { source: 'server', path: '/lists/labels.txt' },
    shuffle: true,
  });
  const byField = (a: { field: string }, b: { field: string }) => a.field.localeCompare(b.field);
  t.same([...form.serverPaths].sort(byField), [
    { field: 'textfile_local_labels_file', path: '/lists/labels.txt', kind: 'file' },
    { field: 'textfile_local_test_images', path: '/lists/test.txt', kind: 'file' },
    { field: 'textfile_local_train_images', path: '/lists/train.txt', kind: 'file' },
    { field: 'textfile_local_val_images', path: '/lists/val.txt', kind: 'file' },
    { field: 'textfile_test_folder', path: '/imgs/test', kind: 'dir' },
    { field: 'textfile_train_folder', path: '/imgs', kind: 'dir' },
    { field: 'textfile_val_folder', path: '/imgs', kind: 'dir' },
  ]);

  const local = ok(t, { ...TEXTFILE, textfile_use_local_files: 'y', textfile_local_train_images: '/l/t.txt', textfile_local_labels_file: '/l/l.txt' });
  t.same(local.serverPaths.map((p) => p.field).sort(), ['textfile_local_labels_file', 'textfile_local_train_images']);

  const unused = ok(t, { ...TEXTFILE, textfile_local_train_images: '/not/used.txt' }, ALL_UPLOADS);
  t.same(unused.serverPaths, [], 'local paths are ignored unless textfile_use_local_files');
  t.equal(unused.options.textfile?.train.source, 'upload');
});

t.test('saved values for cloning: form.<field>.data for every field, file fields excluded', async (t) => {
  const form = ok(t, { ...FOLDER, resize_width: '28', has_val_folder: 'y', folder_val: '/v', folder_train_max_per_class: '' });
  t.same(Object.keys(form.saved).sort(), Object.keys(DATASET_FORM).map((k) => `form.${k}.data`).sort());
  for (const upload of ALL_UPLOADS) t.notOk(`form.${upload}.data` in form.saved, `${upload} not saved`);
  t.match(form.saved, {
    'form.dataset_name.data': 'mnist',
    'form.group_name.data': '',
    'form.resize_width.data': 28,
    'form.resize_height.data': 256,
    'form.resize_channels.data': '3',
    'form.method.data': 'folder',
    'form.has_val_folder.data': true,
    'form.has_test_folder.data': false,
    'form.folder_val.data': '/v',
    'form.folder_pct_val.data': 25,
    'form.folder_train_max_per_class.data': null,
    'form.textfile_shuffle.data': '1',
    'form.textfile_use_val.data': false,
  });
  t.same(JSON.parse(JSON.stringify(form.saved)), form.saved, 'saved values survive JSON (they go into job.json)');
});

t.test('the build-dataset job is catalogued with this payload', async (t) => {
  t.equal(JOBS['build-dataset'].queue, 'ingest');
  t.equal(JOBS['build-dataset'].payload, BuildDatasetPayload);
  t.equal(queueJobIdOf('build-dataset', '20240102-030405-abcd'), 'build-dataset-20240102-030405-abcd');
  const { options } = ok(t, FOLDER);
  t.notOk(payloadChecker.check({ v: 2, jobId: 'x', options }), 'v must be 1');
  t.notOk(payloadChecker.check({ v: 1, jobId: 'x', options, extra: 1 }), 'no extra properties');
  t.notOk(payloadChecker.check({ v: 1, options }), 'jobId required');
  t.notOk(optionsChecker.check({ ...options, backend: 'hdf5' }), 'hdf5 never reaches a worker');
  t.notOk(optionsChecker.check({ ...options, width: 0 }), 'width ≥ 1');
  t.notOk(optionsChecker.check({ ...options, channels: 2 }), 'channels 1 or 3');
});

// DIGITS validates folder_pct_val/folder_pct_test with validate_required_iff(method='folder'), which
// clears their errors and stops validation for any other method; here they are checked regardless.
t.test('folder-only percentages are not validated for the textfile method', async (t) => {
  const result = parseDatasetForm({ ...TEXTFILE, folder_pct_val: '200', folder_pct_test: 'x' }, new Set(ALL_UPLOADS));
  t.notOk('errors' in result, JSON.stringify(result));
});
