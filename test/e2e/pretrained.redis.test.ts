// Pretrained models (contract §4.4): a Caffe LeNet (deploy.prototxt + a .caffemodel written here
// from known weights) imports and classifies real MNIST digits as those weights do; a trained
// model's download archive (tar.gz, tar, tar.bz2, zip) re-imports and classifies identically;
// method=pretrained trains from the imported weights; bad uploads are refused with stable codes.
import fs from 'node:fs/promises';
import path from 'node:path';
import t from 'tap';
import { encodeImage } from '@digits-ts/imaging';
import { loadModel, type tfl } from '@digits-ts/ml';
import { mnistImage, readMnist, writeMnistPngs } from '../../scripts/mnist.ts';
import { readArchive } from '../../apps/gateway/src/archive-reader.ts';
import { tarOf } from '../helpers/archives.ts';
import { writeCaffeModel } from '../helpers/caffemodel-writer.ts';
import { createDataset } from '../helpers/datasets.ts';
import { LENET, lenetDeployPrototxt, lenetFile, lenetRef } from '../helpers/lenet-reference.ts';
import { classifyOne, login, multipart, startStack, waitForStatus, type Stack } from '../helpers/stack.ts';

type Predictions = [string, number][];
const LABELS = Array.from({ length: 10 }, (_, d) => `digit-${d}`).join('\n');

t.test('pretrained models: Caffe import, archive round trip, fine-tuning, bad inputs', async (t) => {
  const stack = await startStack(t);
  const cookie = await login(stack.app, 'alice');
  const post = (url: string, fields: Record<string, string>, files: Parameters<typeof multipart>[1] = {}, headers: Record<string, string> = {}) => {
    const body = multipart(fields, files);
    return stack.app.inject({ method: 'POST', url, payload: body.payload, headers: { ...body.headers, cookie, ...headers } });
  };
  const caffeFiles = (weights: Uint8Array = lenetFile(), prototxt = lenetDeployPrototxt()) => ({
    weights_file: { filename: 'snapshot_iter_100.caffemodel', data: Buffer.from(weights) },
    model_def_file: { filename: 'deploy.prototxt', data: prototxt },
    labels_file: { filename: 'labels.txt', data: LABELS },
  });
  const importCaffe = async (name: string, files = caffeFiles(), fields: Record<string, string> = {}) => {
    const res = await post('/pretrained_models/new.json', { job_name: name, framework: 'caffe', image_type: '1', width: '28', height: '28', resize_mode: 'squash', ...fields }, files);
    t.equal(res.statusCode, 200, res.body);
    return (res.json() as { id: string }).id;
  };
  const uploadArchive = (data: Buffer, filename = 'model.tar.gz') => post('/pretrained_models/upload_archive', {}, { archive: { filename, data } });

  // real MNIST test digits, as PNGs under DATA_ROOTS, and the float64 reference of each
  const mnist = await readMnist('test');
  const digitsDir = path.join(stack.dataDir, 'digits');
  await fs.mkdir(digitsDir, { recursive: true });
  const images = await Promise.all(Array.from({ length: 12 }, async (_, i) => {
    const file = path.join(digitsDir, `${i}.png`);
    await fs.writeFile(file, await encodeImage({ data: mnistImage(mnist, i), width: 28, height: 28, channels: 1 }, 'png'));
    return { file, reference: lenetRef(new Uint8Array(mnistImage(mnist, i))) };
  }));

  let caffeId = '';
  await t.test('a Caffe LeNet deploy.prototxt + .caffemodel classifies MNIST digits as its weights do', async (t) => {
    caffeId = await importCaffe('caffe lenet');
    t.equal(await waitForStatus(stack.app, caffeId, 120_000), 'Done');
    const listing = (await stack.app.inject('/completed_jobs.json')).json() as { pretrained_models: Record<string, unknown>[]; model_output_fields: string[] };
    t.match(listing.pretrained_models.find((d) => d.id === caffeId), { name: 'caffe lenet', type: 'pretrained_model', status: 'Done', framework: 'caffe', username: 'alice', has_labels: true });
    t.ok(listing.model_output_fields.includes('has_labels') && listing.model_output_fields.includes('username'));
    t.match((await stack.app.inject(`/pretrained_models/${caffeId}.json`)).json(), { id: caffeId, type: 'Pretrained Model', 'image dimensions': [28, 28, 1] });
    t.match((await stack.app.inject(`/jobs/${caffeId}/status`)).json(), { status: 'Done', type: 'Pretrained Model' });

    const list = images.map((i) => i.file).join('\n');
    const res = await post('/models/images/classification/classify_many.json', { job_id: caffeId }, { image_list: { filename: 'list.txt', data: list } });
    t.equal(res.statusCode, 200, res.body);
    const got = (res.json() as { classifications: Record<string, Predictions> }).classifications;
    let worst = 0;
    const classes = new Set<number>();
    for (const { file, reference } of images) {
      const predictions = got[file]!;
      const top = reference.indexOf(Math.max(...reference));
      classes.add(top);
      t.equal(predictions[0]![0], `digit-${top}`, `${path.basename(file)}: the reference's class`);
      for (const [label, pct] of predictions) worst = Math.max(worst, Math.abs(pct - 100 * reference[Number(label.slice(6))]!));
    }
    t.ok(worst <= 0.0051, `every confidence is the reference's, rounded to 2 decimals (worst gap ${worst.toFixed(4)})`);
    t.ok(classes.size >= 2, `the weights spread the digits over ${classes.size} classes`);

    // the browser's side: the form page, DIGITS' redirect to the pretrained tab, the home page's list
    const page = await stack.app.inject({ url: '/pretrained_models/new', headers: { cookie } });
    t.equal(page.statusCode, 200);
    t.match(page.body, /name="weights_file"[\s\S]*name="model_def_file"|name="model_def_file"[\s\S]*name="weights_file"/);
    const browser = await post('/pretrained_models/new', { job_name: 'from the page', image_type: '1', width: '28', height: '28' }, caffeFiles());
    t.equal(browser.statusCode, 302);
    t.equal(browser.headers.location, '/?tab=3');
    const home = await stack.app.inject({ url: '/', headers: { cookie } });
    t.match(home.body, new RegExp(`data-job="${caffeId}"[\\s\\S]*caffe lenet`));

    // customize answers the network a training from it builds: the deploy net with its loss added
    const customize = await post(`/models/customize?network=${caffeId}&framework=caffe`, {});
    t.equal(customize.statusCode, 200, customize.body);
    t.match((customize.json() as { network: string }).network, /name: "prob"[\s\S]*type: "SoftmaxWithLoss" bottom: "ip2"/);

    // the same net declared with an Input layer imports the same
    const inputLayerId = await importCaffe('caffe lenet (Input layer)', caffeFiles(lenetFile(), lenetDeployPrototxt(true)));
    t.equal(await waitForStatus(stack.app, inputLayerId, 120_000), 'Done');
    t.same(await classifyOne(stack, inputLayerId, images[0]!.file), await classifyOne(stack, caffeId, images[0]!.file));
  });

  let trainedId = '';
  let datasetId = '';
  const archiveIds: string[] = [];
  await t.test('a trained model\'s download archive re-imports and classifies identically, in every format', async (t) => {
    const mnistDir = path.join(stack.dataDir, 'mnist');
    await writeMnistPngs(mnistDir, { splits: ['train'], perClass: 30 });
    const ds = await createDataset(stack.app, cookie, { dataset_name: 'mnist', folder_train: path.join(mnistDir, 'train'), resize_channels: '1', resize_width: '28', resize_height: '28' });
    datasetId = (ds.json() as { id: string }).id;
    t.equal(await waitForStatus(stack.app, datasetId, 120_000), 'Done');
    const model = await post('/models/images/classification.json', { model_name: 'lenet', dataset: datasetId, framework: 'tensorflow', method: 'standard', standard_networks: 'lenet', train_epochs: '1', random_seed: '1' });
    t.equal(model.statusCode, 200, model.body);
    trainedId = (model.json() as { id: string }).id;
    t.equal(await waitForStatus(stack.app, trainedId, 300_000), 'Done');
    const original = await Promise.all(images.slice(0, 4).map((i) => classifyOne(stack, trainedId, i.file)));
    for (const ext of ['tar.gz', 'tar', 'tar.bz2', 'zip']) {
      const download = await stack.app.inject(`/models/${trainedId}/download.${ext}`);
      t.equal(download.statusCode, 200, `download.${ext}`);
      const res = await uploadArchive(download.rawPayload, `model.${ext}`);
      t.equal(res.statusCode, 200, res.body);
      t.match(res.json(), { status: 'success' });
      const id = (res.json() as { job_id: string }).job_id;
      archiveIds.push(id);
      t.equal(await waitForStatus(stack.app, id, 120_000), 'Done', `the .${ext} import`);
      t.match((await stack.app.inject(`/pretrained_models/${id}.json`)).json(), { name: 'lenet', framework: 'tensorflow', 'mean subtraction': 'image' });
      const again = await Promise.all(images.slice(0, 4).map((i) => classifyOne(stack, id, i.file)));
      t.same(again, original, `.${ext}: classify_one gives the original model's scores`);
    }
  });

  await t.test('method=pretrained trains from the imported weights', async (t) => {
    // learning rate 0: the trained model is the pretrained one, so any weight not taken shows
    const res = await post('/models/images/classification.json', { model_name: 'from caffe', dataset: datasetId, framework: 'caffe', method: 'pretrained', pretrained_networks: caffeId, train_epochs: '1', learning_rate: '0', use_mean: 'none' });
    t.equal(res.statusCode, 200, res.body);
    const id = (res.json() as { id: string }).id;
    t.equal(await waitForStatus(stack.app, id, 300_000), 'Done');
    for (const image of images.slice(0, 4)) {
      const [pretrained, tuned] = [await classifyOne(stack, caffeId, image.file), await classifyOne(stack, id, image.file)];
      // the dataset's labels are "0".."9", the pretrained job's "digit-0".."digit-9"
      t.same(tuned, pretrained.map(([label, pct]) => [label.slice(6), pct]), `${path.basename(image.file)}: the pretrained model's scores`);
    }
    // the new-model page offers the imported models
    const page = await stack.app.inject({ url: '/models/images/classification/new', headers: { cookie } });
    t.match(page.body, new RegExp(`<option value="${caffeId}"`));

    // another number of classes: the classifier starts fresh, every other layer is the pretrained one's
    const threeDir = path.join(stack.dataDir, 'three');
    for (const d of ['0', '1', '2']) await fs.cp(path.join(stack.dataDir, 'mnist', 'train', d), path.join(threeDir, d), { recursive: true });
    const ds = await createDataset(stack.app, cookie, { dataset_name: 'three', folder_train: threeDir, resize_channels: '1', resize_width: '28', resize_height: '28' });
    const threeId = (ds.json() as { id: string }).id;
    t.equal(await waitForStatus(stack.app, threeId, 120_000), 'Done');
    for (const [what, pretrainedId] of [['caffe', caffeId], ['archive', archiveIds[0]!]] as const) {
      const tuned = await post('/models/images/classification.json', { model_name: `3 from ${what}`, dataset: threeId, framework: 'caffe', method: 'pretrained', pretrained_networks: pretrainedId, train_epochs: '1', learning_rate: '0', use_mean: 'none' });
      t.equal(tuned.statusCode, 200, tuned.body);
      const tunedId = (tuned.json() as { id: string }).id;
      t.equal(await waitForStatus(stack.app, tunedId, 300_000), 'Done', `${what}: trained on 3 classes`);
      const snapshotOf = async (id: string) => {
        const record = (await stack.app.services.store.get(id))!;
        return loadModel(path.join(stack.jobsDir, id, record.model!.snapshots.at(-1)!.dir));
      };
      const [from, to] = [await snapshotOf(pretrainedId), await snapshotOf(tunedId)];
      const weighted = (m: tfl.LayersModel) => m.layers.filter((l) => l.weights.length > 0);
      const last = weighted(to).at(-1)!;
      t.same(last.getWeights()[0]!.shape.at(-1), 3, `${what}: the classifier has 3 outputs`);
      for (const layer of weighted(to).slice(0, -1)) {
        t.same(layer.getWeights().map((w) => Array.from(w.dataSync())), from.getLayer(layer.name).getWeights().map((w) => Array.from(w.dataSync())), `${what}: ${layer.name} is the pretrained one's`);
      }
      from.dispose();
      to.dispose();
      t.match((await classifyOne(stack, tunedId, images[0]!.file)).map(([label]) => label).sort(), ['0', '1', '2']);
    }

    const unknown = await post('/models/images/classification.json', { model_name: 'x', dataset: datasetId, framework: 'caffe', method: 'pretrained', pretrained_networks: trainedId, train_epochs: '1' });
    t.equal(unknown.statusCode, 400);
    t.match(unknown.json(), { errors: { pretrained_networks: [/doesn't exist/] } });
    const missing = await post('/models/images/classification.json', { model_name: 'x', dataset: datasetId, framework: 'caffe', method: 'pretrained', train_epochs: '1' });
    t.match(missing.json(), { errors: { pretrained_networks: ['This field is required.'] } });
  });

  await t.test('bad uploads: 4xx with stable codes, or the import job in Error with the reason', async (t) => {
    const newJson = (fields: Record<string, string>, files: Parameters<typeof multipart>[1]) => post('/pretrained_models/new.json', { job_name: 'bad', image_type: '1', width: '28', height: '28', ...fields }, files);
    const { weights_file, model_def_file } = caffeFiles();
    const noWeights = await newJson({}, { model_def_file });
    t.equal(noWeights.statusCode, 400);
    t.match(noWeights.json(), { code: 'VALIDATION_FAILED', errors: { weights_file: ['This field is required.'] } });
    const badPrototxt = await newJson({}, { weights_file, model_def_file: { filename: 'deploy.prototxt', data: 'layer { name: "x" type: "Convolution"' } });
    t.match(badPrototxt.json(), { code: 'VALIDATION_FAILED', errors: { model_def_file: [/^Bad network/] } });
    const torch = await newJson({ framework: 'torch' }, { weights_file, model_def_file });
    t.match(torch.json(), { errors: { framework: [/code run on the server/] } });

    // weights files the worker cannot use: the job ends in Error with CHECKPOINT_INVALID and the reason
    const corrupt = await importCaffe('corrupt', caffeFiles(Buffer.from('this is not a caffemodel, just text')));
    const misfit = await importCaffe('misfit', caffeFiles(writeCaffeModel('LeNet', LENET.slice(0, 3).map(([name, type, w, b]) => ({ name, type, blobs: [{ shape: w.shape, data: w.data }, { shape: b.shape, data: b.data }] })))));
    for (const [id, message] of [[corrupt, /Bad weights file/], [misfit, /"ip2" has weights but the file has no blobs/]] as const) {
      t.equal(await waitForStatus(stack.app, id, 120_000), 'Error');
      t.match((await stack.app.inject(`/pretrained_models/${id}.json`)).json(), { error: { code: 'CHECKPOINT_INVALID', message } });
      const classify = await post('/models/images/classification/classify_one.json', { job_id: id, image_path: images[0]!.file });
      t.equal(classify.statusCode, 409, 'a failed import cannot classify');
      t.equal((classify.json() as { error: { code: string } }).error.code, 'MODEL_NOT_READY');
    }
    const listed = ((await stack.app.inject('/completed_jobs.json')).json() as { pretrained_models: { id: string; status: string }[] }).pretrained_models;
    t.match(listed.find((d) => d.id === corrupt), { status: 'Error' });

    const info = JSON.stringify({ name: 'x', framework: 'caffe', 'snapshot file': 'w.caffemodel', 'model file': 'deploy.prototxt' });
    const outside = path.join(stack.jobsDir, '..', 'escaped.txt');
    const cases: [string, Buffer | null, number, string, RegExp][] = [
      ['no archive', null, 400, 'BAD_REQUEST', /archive is a required field/],
      ['not an archive', Buffer.from('plain text, not a tar'), 400, 'ARCHIVE_INVALID', /not a tar, tar.gz, tar.bz2 or zip/],
      ['no info.json', await tarOf({ 'w.caffemodel': Buffer.from(lenetFile()), 'deploy.prototxt': lenetDeployPrototxt() }), 400, 'ARCHIVE_INVALID', /no info.json/],
      ['a member climbing out', await tarOf({ 'info.json': info, '../escaped.txt': 'x', 'w.caffemodel': Buffer.from(lenetFile()), 'deploy.prototxt': lenetDeployPrototxt() }), 400, 'ARCHIVE_INVALID', /unsafe path/],
      ['an absolute member', await tarOf({ 'info.json': info, [outside]: 'x' }), 400, 'ARCHIVE_INVALID', /unsafe path/],
      ['an unknown framework', await tarOf({ 'info.json': JSON.stringify({ name: 'x', framework: 'keras', 'snapshot file': 'w.h5', 'model file': 'm.json' }) }), 400, 'UNSUPPORTED_OPTION', /framework "keras"/],
      ['a missing snapshot', await tarOf({ 'info.json': info, 'deploy.prototxt': lenetDeployPrototxt() }), 400, 'ARCHIVE_INVALID', /neither the .caffemodel/],
      ['info.json not JSON', await tarOf({ 'info.json': '{nope' }), 400, 'ARCHIVE_INVALID', /not JSON/],
    ];
    for (const [what, data, status, code, message] of cases) {
      const res = data ? await uploadArchive(data, 'x.tar') : await post('/pretrained_models/upload_archive', {});
      t.equal(res.statusCode, status, `${what}: ${res.body.slice(0, 200)}`);
      t.match(res.json(), { error: { code, description: message } }, what);
    }
    t.rejects(fs.access(outside), 'nothing was written outside the jobs folder');

    // our own archive with its weights cut short, or its mean not of its images: the import job says why
    const members = await readArchive((await stack.app.inject(`/models/${trainedId}/download.tar`)).rawPayload, 1e8);
    const ours = Object.fromEntries(members);
    const cut = await uploadArchive(await tarOf({ ...ours, 'weights.bin': members.get('weights.bin')!.subarray(0, 1000) }), 'cut.tar');
    const badMean = await uploadArchive(await tarOf({ ...ours, 'mean.binaryproto': Buffer.from('not a blob') }), 'mean.tar');
    for (const [res, message] of [[cut, /Bad snapshot in the archive/], [badMean, /Bad mean file in the archive/]] as const) {
      t.equal(res.statusCode, 200, res.body);
      const id = (res.json() as { job_id: string }).job_id;
      t.equal(await waitForStatus(stack.app, id, 120_000), 'Error');
      t.match((await stack.app.inject(`/pretrained_models/${id}.json`)).json(), { error: { code: 'CHECKPOINT_INVALID', message } });
    }

    // a Caffe archive (info.json naming its files) imports like the form
    const caffeArchive = await tarOf({ 'info.json': JSON.stringify({ name: 'caffe archive', framework: 'caffe', 'snapshot file': 'w.caffemodel', 'model file': 'deploy.prototxt', 'labels file': 'labels.txt' }), 'w.caffemodel': Buffer.from(lenetFile()), 'deploy.prototxt': lenetDeployPrototxt(), 'labels.txt': LABELS });
    const fromArchive = await uploadArchive(caffeArchive, 'caffe.tar');
    t.equal(fromArchive.statusCode, 200, fromArchive.body);
    const archiveId = (fromArchive.json() as { job_id: string }).job_id;
    t.equal(await waitForStatus(stack.app, archiveId, 120_000), 'Done');
    t.same(await classifyOne(stack, archiveId, images[1]!.file), await classifyOne(stack, caffeId, images[1]!.file));

    // deletable, and the server is still up
    const del = await stack.app.inject({ method: 'DELETE', url: `/jobs/${archiveId}`, headers: { cookie } });
    t.equal(del.statusCode, 200, del.body);
    t.equal((await stack.app.inject(`/pretrained_models/${archiveId}.json`)).statusCode, 404);
    t.equal((await stack.app.inject('/health')).statusCode, 200);
  });
});
