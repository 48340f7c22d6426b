// Property test (fast-check): hostile input on every inference route (classify_one/many, top_n,
// generic infer_one/many/db/extension) and the other routes a worker answers (visualize-network,
// resize-example, explore), through a real worker holding two small trained models. Every
// answer is a 2xx/3xx or a 4xx in DIGITS' envelope with a catalogued code; the gateway and the
// worker stay up; uploads are cleaned away and nothing is written outside JOBS_DIR.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import t from 'tap';
import {
  acceptArb, encodeRequest, ENCODINGS, hostileFilename, hostilePaths, hostileString, imagePool, LAYERS_JSON, mutatedBytes, mutatedFields, networkArb,
  pathValue, pct, valuesOfKind, WELL_FORMED_IN_POOL, writeDataTraps, type Encoding, type HostileFile, type Pairs,
} from '../helpers/hostile.ts';
import { changedOutside, createJob, ownTmpdir, runRoutes, snapshotTree, type RouteCases } from '../helpers/hostile-checks.ts';
import { login, multipart, startStack, waitForStatus } from '../helpers/stack.ts';

const UPLOAD_MAX_BYTES = 512 * 1024;
const MAX_PIXELS = 1_000_000;
const REGRESSION_JSON = LAYERS_JSON.replace('"softmax"', '"linear"');

t.test('hostile inference: no 5xx through a real worker, DIGITS envelopes with codes, nothing left behind', async (t) => {
  const tmp = await ownTmpdir(t, 'hostile-infer');
  const stack = await startStack(t, { env: { UPLOAD_MAX_BYTES: String(UPLOAD_MAX_BYTES), UPLOAD_MAX_FILES: '3', IMAGE_MAX_PIXELS: String(MAX_PIXELS), RATE_LIMIT_INFER_PER_MIN: '0', RATE_LIMIT_LOGIN_PER_MIN: '0' } });
  const { app, dataDir, jobsDir } = stack;
  const data = await writeDataTraps(dataDir);
  const cookie = await login(app, 'alice');
  const create = async (url: string, fields: Record<string, string>) => {
    const id = await createJob(app, cookie, url, fields);
    t.equal(await waitForStatus(app, id, 120_000), 'Done', `${url} ${id} Done`);
    return id;
  };
  // two models small enough to train in seconds: 8×8 gray classes, and an 8×8 gradient regression
  const datasetId = await create('/datasets/images/classification.json', { dataset_name: 'ds', folder_train: data.images, resize_width: '8', resize_height: '8', resize_channels: '1', folder_pct_val: '34' });
  const genericId = await create('/datasets/generic/create/image-gradients.json', { dataset_name: 'grad', train_image_count: '16', val_image_count: '4', image_width: '8', image_height: '8' });
  const train = { framework: 'tensorflow', method: 'custom', train_epochs: '1', batch_size: '4', lr_policy: 'fixed', learning_rate: '0.01' };
  const modelId = await create('/models/images/classification.json', { ...train, model_name: 'cls', dataset: datasetId, custom_network: LAYERS_JSON });
  const regressionId = await create('/models/images/generic.json', { ...train, model_name: 'reg', dataset: genericId, custom_network: REGRESSION_JSON });
  // a FIFO among a list's images once blocked a build's image thread for good: now it is skipped
  const trapList = path.join(dataDir, 'trap-list.txt');
  await fs.writeFile(trapList, [`${path.join(dataDir, 'fifo')} 0`, `${path.join(dataDir, 'dir.png')} 1`, `${path.join(dataDir, 'garbage.png')} 1`, await fs.readFile(data.list, 'utf8')].join('\n'));
  await create('/datasets/images/classification.json', { dataset_name: 'traps', method: 'textfile', textfile_use_local_files: 'y', textfile_local_train_images: trapList, textfile_local_labels_file: data.labels, resize_width: '8', resize_height: '8' });
  // a real LMDB inside the data root for infer_db
  const goodDb = path.join(dataDir, 'gradients_db');
  await fs.cp(path.join(jobsDir, genericId, 'val_db', 'features'), goodDb, { recursive: true });
  const before = await snapshotTree(tmp);
  const stackRoot = path.relative(tmp, path.dirname(jobsDir));

  const images = await imagePool(8, MAX_PIXELS);
  const oversize = Buffer.alloc(UPLOAD_MAX_BYTES + 1024, 0x42);
  const good = [data.png, data.images, path.join(data.images, 'dog'), dataDir, path.join(dataDir, 'garbage.png'), path.join(dataDir, 'fifo'), path.join(dataDir, 'dir.png'), data.fakeDb, data.emptyDir, goodDb];
  const anyPath = pathValue(hostilePaths(dataDir, jobsDir), good);
  const jobIdArb = (main: string) => fc.oneof({ weight: 8, arbitrary: fc.constant(main) }, { weight: 1, arbitrary: fc.constantFrom(modelId, regressionId, datasetId, genericId, '20200101-000000-abcd') }, { weight: 1, arbitrary: hostileString });
  const epochArb = fc.oneof({ weight: 3, arbitrary: fc.constantFrom('', '1', '-1', '0', '1.0', '2', '1e308') }, { weight: 1, arbitrary: hostileString });
  // list lines: good images (relative to image_folder and absolute) among every trap
  const lineArb = fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom('cat/0.png', 'dog/1.png 1', `${data.png} 0`, 'cat/2.png 7', 'dog/3.png 99999999999999999999') },
    { weight: 3, arbitrary: fc.tuple(anyPath, fc.option(fc.integer({ min: -1, max: 3 }))).map(([p, l]) => (l === null ? p : `${p} ${l}`)) },
    { weight: 1, arbitrary: fc.constantFrom('../../../../etc/passwd', '../fifo', '../dir.png 1', '../escape-file', '../nested/escape/etc/passwd', 'http://127.0.0.1:5000/ 1', '\0', '   ') },
    { weight: 1, arbitrary: hostileString },
  );
  const listArb = fc.oneof(
    { weight: 6, arbitrary: fc.tuple(fc.array(lineArb, { minLength: 1, maxLength: 12 }), fc.constantFrom('\n', '\r\n')).map(([lines, eol]) => Buffer.from(lines.join(eol))) },
    { weight: 1, arbitrary: mutatedBytes(images) },
    { weight: 1, arbitrary: fc.constantFrom(oversize, Buffer.from('cat/0.png\n'.repeat(2_000)), Buffer.alloc(0)) },
  );
  // a third of the uploads are well-formed images in every format, so they get to the network
  const imageData = fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...images.slice(0, WELL_FORMED_IN_POOL)) }, { weight: 7, arbitrary: mutatedBytes(images) }, { weight: 1, arbitrary: fc.constant(oversize) });
  const imageFile = (field: string): fc.Arbitrary<HostileFile> => fc.record({ field: fc.constant(field), filename: hostileFilename, data: imageData });
  const listFile: fc.Arbitrary<HostileFile> = fc.record({ field: fc.constant('image_list'), filename: hostileFilename, data: listArb });
  const filesArb = (main: fc.Arbitrary<HostileFile>): fc.Arbitrary<HostileFile[]> => fc.oneof(
    { weight: 6, arbitrary: main.map((f) => [f]) },
    { weight: 1, arbitrary: fc.constant<HostileFile[]>([]) },
    { weight: 1, arbitrary: fc.array(fc.oneof(main, imageFile('other')), { minLength: 2, maxLength: 5 }) },
  );

  // uploads only travel in multipart bodies, so most cases are multipart to get past the form
  const encodingArb = fc.oneof({ weight: 12, arbitrary: fc.constant<Encoding>('multipart') }, { weight: 2, arbitrary: fc.constant<Encoding>('urlencoded') }, { weight: 2, arbitrary: fc.constantFrom(...ENCODINGS) });
  /** An inference request: mutated fields over a valid base, files, how it is sent, and the route's spellings. */
  const inferRequest = (urls: string[], base: Pairs, extra: Record<string, fc.Arbitrary<string>>, files: fc.Arbitrary<HostileFile[]>, methods: ('GET' | 'POST')[] = ['POST']) => {
    const names = [...Object.keys(extra), 'username'];
    const fields = mutatedFields(base, names, (name) => extra[name] ?? hostileString, 4, 0.1);
    return fc.record({ url: fc.constantFrom(...urls), method: fc.constantFrom(...methods), fields, files, encoding: encodingArb, accept: acceptArb })
      .map((c) => encodeRequest(c.method, c.url, c.method === 'GET' ? 'query' : c.encoding, c.fields, c.files, c.accept === undefined ? {} : { accept: c.accept }));
  };
  const spellings = (route: string) => [`${route}.json`, `${route}.json`, route];
  const common = { snapshot_epoch: epochArb, show_visualizations: fc.constantFrom('', '1', 'on'), dont_resize: fc.constantFrom('', '1') };
  const listFields = { image_folder: fc.oneof({ weight: 3, arbitrary: fc.constant(data.images) }, { weight: 2, arbitrary: anyPath }), num_test_images: fc.oneof(fc.constantFrom('', '1', '3', '0', '-1', '1e9'), hostileString) };

  const routes: RouteCases[] = [
    {
      name: 'classify_one', runs: 150,
      arb: inferRequest(spellings('/models/images/classification/classify_one'), [['job_id', modelId]], { job_id: jobIdArb(modelId), image_path: anyPath, ...common }, filesArb(imageFile('image_file')), ['GET', 'POST', 'POST', 'POST']),
    },
    {
      name: 'classify_many', runs: 110,
      arb: inferRequest(spellings('/models/images/classification/classify_many'), [['job_id', modelId], ['image_folder', data.images]], { job_id: jobIdArb(modelId), ...listFields, ...common }, filesArb(listFile), ['GET', 'POST', 'POST', 'POST']),
    },
    {
      name: 'top_n', runs: 60,
      arb: inferRequest(spellings('/models/images/classification/top_n'), [['job_id', modelId], ['image_folder', data.images]], { job_id: jobIdArb(modelId), top_n: fc.oneof(fc.constantFrom('1', '9', '0', '1000000'), hostileString), ...listFields, ...common }, filesArb(listFile)),
    },
    {
      name: 'infer_one', runs: 80,
      arb: inferRequest(spellings('/models/images/generic/infer_one'), [['job_id', regressionId]], { job_id: jobIdArb(regressionId), image_path: anyPath, ...common }, filesArb(imageFile('image_file'))),
    },
    {
      name: 'infer_many', runs: 60,
      arb: inferRequest(spellings('/models/images/generic/infer_many'), [['job_id', regressionId], ['image_folder', data.images]], { job_id: jobIdArb(regressionId), ...listFields, ...common }, filesArb(listFile)),
    },
    {
      name: 'infer_db', runs: 60,
      arb: inferRequest(spellings('/models/images/generic/infer_db'), [['job_id', regressionId], ['db_path', goodDb]], { job_id: jobIdArb(regressionId), db_path: anyPath, ...common }, fc.constant([])),
    },
    {
      name: 'infer_extension', runs: 60,
      arb: inferRequest(spellings('/models/images/generic/infer_extension'), [['job_id', regressionId]], {
        job_id: jobIdArb(regressionId), gradient_x: valuesOfKind({ kind: 'float' }), gradient_y: valuesOfKind({ kind: 'float' }),
        test_image_count: fc.oneof(fc.constantFrom('', '1', '5', '0', '100000000', '2147483648', '1e9'), hostileString), ...common,
      }, fc.constant([])),
    },
    {
      name: 'visualize-network', runs: 40,
      arb: inferRequest(['/models/visualize-network?framework=caffe', '/models/visualize-network?framework=tensorflow&format=svg', '/models/visualize-network?format=png'], [['custom_network', LAYERS_JSON], ['framework', 'tensorflow']], { custom_network: networkArb, framework: fc.oneof(fc.constantFrom('caffe', 'tensorflow'), hostileString), format: fc.constantFrom('svg', 'png', 'html', 'gif') }, fc.constant([])),
    },
    {
      name: 'resize-example', runs: 30,
      arb: inferRequest(['/datasets/images/resize-example'], [['width', '16'], ['height', '16'], ['channels', '1'], ['resize_mode', 'crop']], {
        width: valuesOfKind({ kind: 'int' }), height: valuesOfKind({ kind: 'int' }), channels: fc.constantFrom('1', '3', '4', '0'),
        resize_mode: valuesOfKind({ kind: 'select', choices: ['crop', 'squash', 'fill', 'half_crop'], default: 'squash' }), encoding: fc.constantFrom('png', 'jpg', 'none', 'gif'), backend: fc.constantFrom('lmdb', 'hdf5'),
      }, fc.constant([])),
    },
    {
      name: 'explore', runs: 40,
      arb: fc.record({
        generic: fc.boolean(), job: jobIdArb(datasetId),
        db: fc.oneof({ weight: 3, arbitrary: fc.constantFrom('train', 'val', 'train_db/features') }, { weight: 2, arbitrary: fc.constantFrom('test', 'train_db', 'val_db/features/', '../../../etc', '/etc/passwd', 'train_db/../../..', '../../val_db') }, { weight: 1, arbitrary: hostileString }),
        page: fc.oneof({ weight: 4, arbitrary: fc.constantFrom('0', '0', '1', '-1', '99999999') }, { weight: 1, arbitrary: hostileString }),
        size: fc.oneof({ weight: 4, arbitrary: fc.constantFrom('1', '25', '25', '0', '100000') }, { weight: 1, arbitrary: hostileString }),
        label: fc.oneof({ weight: 4, arbitrary: fc.constantFrom('', '0', '1', '9') }, { weight: 1, arbitrary: hostileString }), accept: acceptArb,
      }).map((q) => encodeRequest('GET', `/datasets/${q.generic ? 'generic' : 'images/classification'}/explore?job_id=${pct(q.generic && q.job === datasetId ? genericId : q.job)}&db=${pct(q.db)}&page=${pct(q.page)}&size=${pct(q.size)}&label=${pct(q.label)}`, 'none', [], [], q.accept ? { accept: q.accept } : {})),
    },
  ];
  await runRoutes(t, 'hostile inference', app, routes, 20_000);

  // the traps the property found, once more by name: a FIFO and a folder in a list are that line's error
  const traps = multipart({ job_id: modelId }, { image_list: { filename: 'l.txt', data: `${path.join(dataDir, 'fifo')}\n${path.join(dataDir, 'dir.png')}\n${data.png}\n` } });
  const trapped = await app.inject({ method: 'POST', url: '/models/images/classification/classify_many.json', payload: traps.payload, headers: traps.headers });
  t.equal(trapped.statusCode, 200, trapped.body.slice(0, 300));
  t.match(trapped.json(), { errors: { [path.join(dataDir, 'fifo')]: { code: 'IMAGE_NOT_FOUND' }, [path.join(dataDir, 'dir.png')]: { code: 'IMAGE_NOT_FOUND' } } });

  t.equal((await app.inject('/health')).statusCode, 200, 'the gateway is still up');
  const png = await fs.readFile(data.png);
  const still = multipart({ job_id: modelId }, { image_file: { filename: 'x.png', data: png } });
  const answer = await app.inject({ method: 'POST', url: '/models/images/classification/classify_one.json', payload: still.payload, headers: still.headers });
  t.equal(answer.statusCode, 200, `and the worker still classifies: ${answer.body.slice(0, 200)}`);
  const after = await snapshotTree(tmp);
  t.same(changedOutside(before, after, [path.join(stackRoot, 'jobs')]), [], 'nothing written outside JOBS_DIR; DATA_ROOTS unchanged');
  t.same(await fs.readdir(path.join(jobsDir, '.uploads')).catch(() => []), [], 'every upload removed after its call');
  t.notOk(await fs.stat(path.join(path.dirname(tmp), 'hostile-escape.png')).catch(() => null), 'no upload landed where its file name pointed');
});
