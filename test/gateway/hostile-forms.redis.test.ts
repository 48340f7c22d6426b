// Property test (fast-check): hostile input on every create route (classification, prebuilt and
// extension datasets; classification and generic models) and the other form and query routes
// that need no worker. Every answer is a 2xx/3xx or a 4xx in DIGITS' envelope with a catalogued
// code; the gateway stays up; nothing is written outside JOBS_DIR and DATA_ROOTS is untouched.
// HOSTILE_SEED=<n> replays a run; HOSTILE_RUNS=<factor> scales the case counts.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import t from 'tap';
import { FRAMEWORKS, LR_POLICIES } from '@digits-ts/contracts';
import { DATA_EXTENSIONS, DATASET_FORM, DATASET_UPLOAD_FIELDS, GENERIC_DATASET_FORM, MODEL_FORM, PREBUILT_DATASET_FORM, type FormSpec } from '../../apps/gateway/src/forms/index.ts';
import {
  acceptArb, encodeRequest, encodingArb, formValues, hostileFilename, hostilePaths, hostileString, imagePool, LAYERS_JSON, mutatedBytes, mutatedFields,
  networkArb, pathValue, pct, PROTOTXT, writeDataTraps, type Encoding, type HostileFile, type HostileRequest, type Pairs,
} from '../helpers/hostile.ts';
import { changedOutside, createJob, ownTmpdir, runRoutes, snapshotTree, type RouteCases } from '../helpers/hostile-checks.ts';
import { login, multipart, startStack } from '../helpers/stack.ts';

const UPLOAD_MAX_BYTES = 256 * 1024;

t.test('hostile forms: no 5xx, DIGITS envelopes with codes, nothing written outside JOBS_DIR', async (t) => {
  const tmp = await ownTmpdir(t, 'hostile-forms');
  const stack = await startStack(t, { worker: false, env: { UPLOAD_MAX_BYTES: String(UPLOAD_MAX_BYTES), UPLOAD_MAX_FILES: '3', RATE_LIMIT_INFER_PER_MIN: '0', RATE_LIMIT_LOGIN_PER_MIN: '0' } });
  const { app, dataDir, jobsDir } = stack;
  const data = await writeDataTraps(dataDir);
  const cookie = await login(app, 'alice');
  const create = (url: string, fields: Record<string, string>) => createJob(app, cookie, url, fields);
  // with no worker the builds never start: models on them wait, which is as deep as a create goes
  const datasetId = await create('/datasets/images/classification.json', { dataset_name: 'ds', folder_train: data.images, resize_width: '8', resize_height: '8', resize_channels: '1' });
  const genericId = await create('/datasets/generic/create/image-gradients.json', { dataset_name: 'grad', train_image_count: '8', image_width: '8', image_height: '8' });
  const modelId = await create('/models/images/classification.json', { model_name: 'm', dataset: datasetId, framework: 'tensorflow', method: 'standard', standard_networks: 'lenet', train_epochs: '1' });
  const before = await snapshotTree(tmp);
  const stackRoot = path.relative(tmp, path.dirname(jobsDir));

  const bad = hostilePaths(dataDir, jobsDir);
  const goodDirs = [data.images, path.join(data.images, 'cat'), dataDir, data.emptyDir, data.fakeDb];
  const goodFiles = [data.list, data.labels, data.png, path.join(dataDir, 'garbage.png')];
  const anyPath = pathValue(bad, [...goodDirs, ...goodFiles]);
  const ids = [datasetId, genericId, modelId];
  const idArb = fc.oneof(fc.constantFrom(...ids), fc.constantFrom('20200101-000000-abcd', `${modelId}.json`, `${modelId}/../${datasetId}`), hostileString);
  const images = await imagePool(8, 1_000_000);
  const oversize = Buffer.alloc(UPLOAD_MAX_BYTES + 1024, 0x42);
  const listText = fc.tuple(fc.array(fc.tuple(anyPath, fc.option(fc.oneof(fc.integer({ min: -2, max: 3 }), fc.constant(2 ** 40)))), { maxLength: 8 }), fc.constantFrom('\n', '\r\n', '\r'))
    .map(([lines, eol]) => Buffer.from(lines.map(([p, l]) => (l === null ? p : `${p} ${l}`)).join(eol)));
  const uploadData = fc.oneof({ weight: 8, arbitrary: listText }, { weight: 4, arbitrary: mutatedBytes(images) }, { weight: 1, arbitrary: fc.constant(oversize) });
  const filesArb = (fields: readonly string[]): fc.Arbitrary<HostileFile[]> => fc.array(
    fc.record({ field: fc.oneof({ weight: 5, arbitrary: fc.constantFrom(...fields) }, { weight: 1, arbitrary: hostileString }), filename: hostileFilename, data: uploadData }),
    { maxLength: 3 },
  );

  type Auth = 'cookie' | 'field' | 'none' | 'bad-cookie' | 'origin';
  const authArb = fc.constantFrom<Auth[]>('cookie', 'cookie', 'cookie', 'field', 'field', 'none', 'bad-cookie', 'origin');
  type Flood = 'fields' | 'field-size' | 'field-sum' | 'files' | 'body';
  const floodArb = fc.oneof({ weight: 15, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: fc.constantFrom<Flood[]>('fields', 'field-size', 'field-sum', 'files', 'body') });

  /** A create-style request: URL, fields, uploads, encoding, Accept, identity and maybe a flood. */
  const formRequest = (method: HostileRequest['method'], urls: fc.Arbitrary<string>, fields: fc.Arbitrary<Pairs>, files: fc.Arbitrary<HostileFile[]>) =>
    fc.record({ url: urls, fields, files, encoding: encodingArb, accept: acceptArb, auth: authArb, flood: floodArb }).map((c) => {
      const pairs: Pairs = [...c.fields];
      let uploads = c.files;
      const headers: Record<string, string> = c.accept === undefined ? {} : { accept: c.accept };
      if (c.auth === 'field') pairs.push(['username', 'alice']);
      if (c.auth === 'cookie' || c.auth === 'origin') headers.cookie = cookie;
      if (c.auth === 'origin') headers.origin = 'http://evil.example';
      if (c.auth === 'bad-cookie') headers.cookie = 'username=Fe26.2**garbage%00';
      let encoding: Encoding = c.encoding;
      if (c.flood === 'fields') for (let i = 0; i < 1100; i++) pairs.push([`f${i}`, 'x']);
      if (c.flood === 'field-size') pairs.push(['dataset_name', 'n'.repeat(1024 * 1024 + 10)]);
      if (c.flood === 'field-sum') for (let i = 0; i < 300; i++) pairs.push([`g${i}`, 'v'.repeat(1024)]);
      if (c.flood === 'files') uploads = Array.from({ length: 6 }, (_, i) => ({ field: `file${i}`, filename: `${i}.png`, data: images[0]! }));
      if (c.flood === 'body') {
        pairs.push(['pad', 'p'.repeat(UPLOAD_MAX_BYTES + 10)]);
        encoding = 'urlencoded';
      }
      return encodeRequest(method, c.url, encoding, pairs, uploads, headers);
    });

  const form = (spec: FormSpec, paths: readonly string[], bases: Pairs[], extra: Record<string, fc.Arbitrary<string>> = {}, more: string[] = []) => {
    const names = [...Object.keys(spec), 'username', 'clone', ...more];
    const valueFor = formValues(spec, new Set(paths), anyPath, extra);
    return fc.constantFrom(...bases).chain((base) => mutatedFields(base, names, valueFor));
  };
  const DATASET_PATHS = ['folder_train', 'folder_val', 'folder_test', 'textfile_local_train_images', 'textfile_local_val_images', 'textfile_local_test_images', 'textfile_train_folder', 'textfile_val_folder', 'textfile_test_folder', 'textfile_local_labels_file'];
  const PREBUILT_PATHS = ['prebuilt_train_images', 'prebuilt_train_labels', 'prebuilt_val_images', 'prebuilt_val_labels', 'prebuilt_mean_file'];
  const modelExtra = {
    dataset: fc.oneof(fc.constantFrom(...ids), hostileString), previous_networks: fc.oneof(fc.constantFrom(...ids), hostileString), custom_network: networkArb,
    standard_networks: fc.oneof(fc.constantFrom('lenet', 'alexnet', 'googlenet'), hostileString), framework: fc.oneof(fc.constantFrom(...FRAMEWORKS), hostileString),
    [`${modelId}-snapshot`]: fc.oneof(fc.constantFrom('0', '-1', '1', '1.5'), hostileString),
  };
  const modelBase: Pairs = [['model_name', 'hostile'], ['framework', 'tensorflow'], ['train_epochs', '1']];
  const extensionUrls = fc.constantFrom('image-gradients', 'image-gradients.json', 'nope.json', '__proto__.json', 'constructor', '..%2f..%2fetc', '%00.json', 'image-gradients%00.json');

  const routes: RouteCases[] = [
    {
      name: 'POST /datasets/images/classification', runs: 300,
      arb: formRequest('POST', fc.constantFrom('/datasets/images/classification.json', '/datasets/images/classification'), form(DATASET_FORM, DATASET_PATHS, [
        [['dataset_name', 'hostile'], ['folder_train', data.images], ['resize_width', '8'], ['resize_height', '8'], ['resize_channels', '1']],
        [['dataset_name', 'hostile'], ['method', 'textfile'], ['textfile_use_local_files', 'y'], ['textfile_local_train_images', data.list], ['textfile_local_labels_file', data.labels], ['resize_width', '8'], ['resize_height', '8']],
        [['dataset_name', 'hostile'], ['method', 'textfile'], ['textfile_train_folder', data.images], ['resize_width', '8'], ['resize_height', '8']],
      ]), filesArb(Object.keys(DATASET_UPLOAD_FIELDS))),
    },
    {
      name: 'POST /datasets/images/generic', runs: 120,
      arb: formRequest('POST', fc.constantFrom('/datasets/images/generic.json', '/datasets/images/generic'), form(PREBUILT_DATASET_FORM, PREBUILT_PATHS, [
        [['dataset_name', 'hostile'], ['prebuilt_train_images', data.fakeDb], ['prebuilt_train_labels', data.emptyDir], ['prebuilt_mean_file', data.png]],
      ]), filesArb(['prebuilt_mean_file'])),
    },
    {
      name: 'POST /datasets/generic/create/<extension>', runs: 120,
      arb: formRequest('POST', extensionUrls.map((e) => `/datasets/generic/create/${e}`), form({ ...GENERIC_DATASET_FORM, ...DATA_EXTENSIONS['image-gradients']!.form }, [], [
        [['dataset_name', 'hostile'], ['train_image_count', '8'], ['val_image_count', '2'], ['image_width', '8'], ['image_height', '8']],
      ]), filesArb(['train_image_count'])),
    },
    {
      // paired image folders (§7.5): four server paths, each confined to DATA_ROOTS
      name: 'POST /datasets/generic/create/image-processing', runs: 80,
      arb: formRequest('POST', fc.constantFrom('/datasets/generic/create/image-processing.json', '/datasets/generic/create/image-processing'), form({ ...GENERIC_DATASET_FORM, ...DATA_EXTENSIONS['image-processing']!.form }, ['feature_folder', 'label_folder', 'validation_feature_folder', 'validation_label_folder'], [
        [['dataset_name', 'hostile'], ['feature_folder', data.images], ['label_folder', data.images]],
        [['dataset_name', 'hostile'], ['feature_folder', data.images], ['label_folder', data.images], ['has_val_folder', 'y'], ['validation_feature_folder', data.emptyDir], ['validation_label_folder', data.images]],
      ]), filesArb(['feature_folder'])),
    },
    {
      name: 'POST /models/images/classification', runs: 300,
      arb: formRequest('POST', fc.constantFrom('/models/images/classification.json', '/models/images/classification'), form(MODEL_FORM, ['python_layer_server_file'], [
        [...modelBase, ['dataset', datasetId], ['method', 'standard'], ['standard_networks', 'lenet']],
        [...modelBase, ['dataset', datasetId], ['method', 'custom'], ['custom_network', LAYERS_JSON]],
        [...modelBase, ['dataset', datasetId], ['method', 'previous'], ['previous_networks', modelId], [`${modelId}-snapshot`, '0']],
      ], modelExtra, ['select_gpus', `${modelId}-snapshot`]), filesArb(['python_layer_client_file', 'custom_network'])),
    },
    {
      name: 'POST /models/images/generic', runs: 150,
      arb: formRequest('POST', fc.oneof(fc.constantFrom('/models/images/generic.json', '/models/images/generic'), extensionUrls.map((e) => `/models/images/generic${e}`), extensionUrls.map((e) => `/models/images/generic/${e}`)), form(MODEL_FORM, [], [
        [...modelBase, ['dataset', genericId], ['method', 'custom'], ['custom_network', PROTOTXT]],
      ], modelExtra), filesArb(['python_layer_client_file'])),
    },
    {
      name: 'POST /models/visualize-lr', runs: 150,
      arb: formRequest('POST', fc.constant('/models/visualize-lr'), form(
        Object.fromEntries(Object.entries(MODEL_FORM).filter(([k]) => k.startsWith('lr_') || k === 'learning_rate')),
        [], [[['lr_policy', 'step'], ['lr_step_size', '33'], ['lr_step_gamma', '0.1'], ['learning_rate', '0.01']], [['lr_policy', 'multistep'], ['lr_multistep_values', '10,50'], ['lr_multistep_gamma', '0.5'], ['learning_rate', '0.1,0.01']]],
        { lr_policy: fc.oneof(fc.constantFrom(...LR_POLICIES), hostileString), lr_multistep_values: fc.oneof(fc.constantFrom('1,2,3', '1e308,1e-308', `${'1,'.repeat(5000)}1`), hostileString) },
      ), fc.constant([])),
    },
    {
      name: 'POST /models/customize', runs: 80,
      arb: formRequest('POST', fc.tuple(fc.oneof(fc.constantFrom('lenet', 'alexnet', ...ids), hostileString), fc.oneof(fc.constantFrom(...FRAMEWORKS), hostileString)).map(([n, f]) => `/models/customize?network=${pct(n)}&framework=${pct(f)}`),
        form({ snapshot_epoch: { kind: 'float' } }, [], [[], [['snapshot_epoch', '-1']]], { network: fc.oneof(fc.constantFrom('lenet', ...ids), hostileString) }, ['network', 'framework']), fc.constant([])),
    },
    {
      name: 'POST /login', runs: 80,
      arb: formRequest('POST', fc.constantFrom('/login', '/logout'), form({}, [], [[['username', 'bob']]], { username: fc.oneof(fc.constantFrom('bob', 'a'.repeat(100_000), 'Bob', '-x'), hostileString), next: fc.oneof(fc.constantFrom('//evil.example', '/\\evil', 'https://evil.example', '/ok', 'javascript:alert(1)'), hostileString) }, ['next']), fc.constant([])),
    },
    {
      name: 'PUT, DELETE, abort /jobs/<id>', runs: 150,
      arb: fc.tuple(fc.constantFrom<HostileRequest['method'][]>('PUT', 'DELETE', 'POST'), fc.oneof(fc.constantFrom(modelId, datasetId), hostileString, fc.constantFrom('20200101-000000-abcd'))).chain(([method, id]) => {
        // deleting or aborting the fixtures would only make later cases shallower
        const target = method === 'PUT' ? id : ids.includes(id) ? '20200101-000000-abcd' : id;
        const url = `/jobs/${pct(target)}${method === 'POST' ? '/abort' : ''}`;
        return formRequest(method, fc.constantFrom(url, url.replace('/jobs/', '/models/'), url.replace('/jobs/', '/datasets/')), form({ job_name: { kind: 'string' }, job_notes: { kind: 'string' } }, [], [[['job_name', 'renamed']]], {}, ['job_ids[]']), fc.constant([]));
      }),
    },
    {
      name: 'GET routes with hostile ids and queries', runs: 150,
      arb: fc.tuple(idArb, hostileString, fc.constantFrom(
        (id: string, q: string) => `/datasets/summary?job_id=${id}&x=${q}`, (id: string, q: string) => `/models/${id}/download${q.slice(0, 8)}?epoch=${q}`,
        (id: string) => `/models/${id}/download.zip`, (id: string, q: string) => `/files/${id}/${q}`, (id: string) => `/jobs/${id}/status`, (id: string) => `/jobs/${id}`,
        (id: string) => `/datasets/${id}.json`, (id: string) => `/models/${id}.json`, (id: string) => `/models/${id}`, (id: string) => `/models/images/classification/large_graph?job_id=${id}`,
        (id: string) => `/clone/${id}`, (id: string, q: string) => `/models/images/classification/new?clone=${id}&dataset=${q}`, (id: string) => `/datasets/images/classification/new?clone=${id}`,
        (_: string, q: string) => `/index.json?${q}`, (_: string, q: string) => `/files/${q}`, (_: string, q: string) => `/datasets/generic/new/${q}`,
      ), fc.boolean(), acceptArb, fc.boolean()).map(([id, q, url, encode, accept, withCookie]) => {
        // '#' stays escaped: a raw one starts a fragment, which clients never send, and would cut '.json' off the path
        const enc = (s: string) => (encode ? pct(s) : pct(s, /[\x21\x22\x24-\x7e]/));
        return encodeRequest('GET', url(enc(id), enc(q)), 'none', [], [], { ...(accept ? { accept } : {}), ...(withCookie ? { cookie } : {}) });
      }),
    },
  ];

  await runRoutes(t, 'hostile forms', app, routes);

  t.equal((await app.inject('/health')).statusCode, 200, 'the gateway is still up');
  t.equal((await app.inject('/ready')).statusCode, 200, 'and still reaches Redis');
  t.equal((await app.inject('/index.json')).statusCode, 200);
  const after = await snapshotTree(tmp);
  t.same(changedOutside(before, after, [path.join(stackRoot, 'jobs')]), [], 'nothing written outside JOBS_DIR; DATA_ROOTS unchanged');
  t.same(await fs.readdir(path.join(jobsDir, '.uploads')).catch(() => []), [], 'no upload left behind');
  t.notOk(await fs.stat(path.join(path.dirname(tmp), 'hostile-escape.png')).catch(() => null), 'no upload landed where its file name pointed');
});
