// classify_one / classify_many through the real stack on a LeNet trained on an MNIST subset:
// DIGITS' JSON shapes, labelled-list statistics, and a clear 4xx for every bad input.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import t from 'tap';
import { gunzipSync } from 'node:zlib';
import tar from 'tar-stream';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { decodeImage, encodeImage } from '@digits-ts/imaging';
import { importSharedLenet } from '../helpers/shared-lenet.ts';
import { login, multipart, startStack, waitForStatus } from '../helpers/stack.ts';

t.test('classify_one and classify_many answer with DIGITS shapes', async (t) => {
  // a 1-megapixel cap, so the pixel-cap case needs no huge upload
  const stack = await startStack(t, { env: { IMAGE_MAX_PIXELS: '1000000' } });
  // LeNet trained for 5 epochs on 100 MNIST digits per class, once per run (test/helpers/shared-lenet.ts)
  const shared = await importSharedLenet(stack);
  const { mnistDir } = shared;
  const cookie = await login(stack.app, 'alice');
  const ds = { id: shared.datasetId };
  const post = (url: string, fields: Record<string, string>, files: Parameters<typeof multipart>[1] = {}) => {
    const body = multipart(fields, files);
    return stack.app.inject({ method: 'POST', url, payload: body.payload, headers: { ...body.headers, cookie } });
  };
  const model = { id: shared.modelId };
  t.equal(await waitForStatus(stack.app, model.id), 'Done');

  const testDir = path.join(mnistDir, 'test');
  const seven = path.join(testDir, '7', (await fs.readdir(path.join(testDir, '7')))[0]!);
  const one = await post('/models/images/classification/classify_one.json', { job_id: model.id }, { image_file: { filename: 'seven.png', data: await fs.readFile(seven) } });
  t.equal(one.statusCode, 200, one.body);
  const predictions = (one.json() as { predictions: [string, number][] }).predictions;
  t.equal(predictions.length, 5);
  t.equal(predictions[0]![0], '7', `top prediction for a 7: ${JSON.stringify(predictions)}`);
  for (const [label, pct] of predictions) {
    t.match(label, /^\d$/);
    t.equal(pct, Math.round(pct * 100) / 100, 'two decimals');
  }
  t.ok(predictions.every((p, i) => i === 0 || p[1] <= predictions[i - 1]![1]), 'best first');
  t.same(await fs.readdir(path.join(stack.jobsDir, '.uploads')), [], 'the upload is removed after the call');

  const byPath = await post('/models/images/classification/classify_one.json', { job_id: model.id, image_path: seven, snapshot_epoch: '5' });
  t.same(byPath.json(), one.json(), 'image_path inside DATA_ROOTS gives the same answer');

  // a labelled list of 300 test images, plus lines that cannot be used
  const lines: string[] = [];
  for (let digit = 0; digit < 10; digit++) {
    const files = (await fs.readdir(path.join(testDir, String(digit)))).slice(0, 30);
    for (const f of files) lines.push(`${digit}/${f} ${digit}`);
  }
  // a symlink inside the data root that points out of it is refused by the worker's own check
  await fs.symlink('/etc/hostname', path.join(testDir, 'escape.png'));
  lines.push('missing.png 3', '/etc/passwd 1', 'escape.png 2');
  const many = await post('/models/images/classification/classify_many.json', { job_id: model.id, image_folder: testDir }, { image_list: { filename: 'list.txt', data: lines.join('\n') } });
  t.equal(many.statusCode, 200, many.body.slice(0, 500));
  const body = many.json() as { classifications: Record<string, [string, number][]>; errors: Record<string, { code: string }>; statistics: Record<string, unknown> & { 'confusion matrix': number[][] } };
  t.equal(Object.keys(body.classifications).length, 300);
  t.equal(body.classifications['7/' + path.basename(seven)]?.length, 5);
  t.match(body.errors, { 'missing.png': { code: 'IMAGE_NOT_FOUND' }, '/etc/passwd': { code: 'PATH_NOT_ALLOWED' }, 'escape.png': { code: 'PATH_NOT_ALLOWED' } });
  t.equal(body.statistics.images, 300);
  t.ok((body.statistics['top-1 accuracy'] as number) >= 80, `top-1 ${body.statistics['top-1 accuracy']} %`);
  t.ok((body.statistics['top-5 accuracy'] as number) >= (body.statistics['top-1 accuracy'] as number));
  t.equal(body.statistics['confusion matrix'].flat().reduce((a, b) => a + b, 0), 300);

  await t.test('show_visualizations and top_n', async (t) => {
    const vis = await post('/models/images/classification/classify_one.json', { job_id: model.id, image_path: seven, show_visualizations: '1' });
    t.equal(vis.statusCode, 200, vis.body.slice(0, 300));
    const layers = (vis.json() as { visualizations: { name: string; type: string; activations: { shape: number[]; histogram: { counts: number[] } }; weights: { shape: number[] } | null; parameters: number }[] }).visualizations;
    t.same(layers.map((l) => l.name).slice(0, 3), ['scale', 'conv1', 'pool1']);
    const conv1 = layers.find((l) => l.name === 'conv1')!;
    t.same(conv1.activations.shape, [24, 24, 20]);
    t.equal(conv1.parameters, 5 * 5 * 20 + 20);
    t.same(conv1.weights?.shape, [520], 'kernel and bias together');
    t.equal(conv1.activations.histogram.counts.reduce((a, b) => a + b, 0), 24 * 24 * 20);
    t.equal(layers.reduce((n, l) => n + l.parameters, 0), 431_080, 'every parameter of LeNet is accounted for');
    t.same(layers.at(-1)!.activations.shape, [10]);

    const topList = lines.slice(0, 100).join('\n');
    const top = await post('/models/images/classification/top_n.json', { job_id: model.id, image_folder: testDir, top_n: '3' }, { image_list: { filename: 'l.txt', data: topList } });
    t.equal(top.statusCode, 200, top.body.slice(0, 300));
    const perClass = (top.json() as { top_n: Record<string, [string, number][]> }).top_n;
    t.same(Object.keys(perClass), ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
    for (const [label, entries] of Object.entries(perClass)) {
      t.equal(entries.length, 3);
      t.ok(entries.every((e, i) => i === 0 || e[1] <= entries[i - 1]![1]), `${label}: best first`);
    }
    t.ok(perClass['0']!.filter(([p]) => p.startsWith('0/')).length >= 2, `the top "0" images are mostly zeros: ${JSON.stringify(perClass['0'])}`);
  });

  await t.test('the downloaded archive runs in plain TF.js and agrees with the server', async (t) => {
    const res = await stack.app.inject(`/models/${model.id}/download`);
    t.equal(res.statusCode, 200);
    t.equal(res.headers['content-disposition'], `attachment; filename=${model.id}_epoch_-1.tar.gz`);
    const files = new Map<string, Buffer>();
    const extract = tar.extract();
    extract.on('entry', (header, stream, next) => {
      const chunks: Buffer[] = [];
      stream.on('data', (c: unknown) => chunks.push(c as Buffer));
      stream.on('end', () => { files.set(header.name, Buffer.concat(chunks)); next(); });
    });
    await new Promise<void>((resolve, reject) => { extract.on('finish', resolve).on('error', reject); extract.end(gunzipSync(res.rawPayload)); });
    t.same([...files.keys()].sort(), ['info.json', 'labels.txt', 'mean.binaryproto', 'mean.json', 'model.json', 'network.json', 'weights.bin']);
    const info = JSON.parse(files.get('info.json')!.toString()) as Record<string, unknown>;
    t.match(info, { id: model.id, 'snapshot file': 'snapshot_5', 'snapshot epoch': 5, framework: 'tensorflow' });
    t.same(Object.keys(info), Object.keys(info).sort(), 'info.json keys sorted');

    // what a user does: load model.json + weights.bin with tfjs-layers, subtract mean.json, predict
    const json = JSON.parse(files.get('model.json')!.toString()) as { modelTopology: object; weightsManifest: { weights: tf.io.WeightsManifestEntry[] }[] };
    const weights = files.get('weights.bin')!;
    const net = await tfl.loadLayersModel(tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: json.weightsManifest.flatMap((g) => g.weights), weightData: new Uint8Array(weights).buffer }));
    const mean = JSON.parse(files.get('mean.json')!.toString()) as { shape: number[]; values: number[] };
    const labels = files.get('labels.txt')!.toString().trim().split('\n');
    const pixels = (await decodeImage(await fs.readFile(seven), { maxPixels: 1e6 })).data;
    const input = Float32Array.from(pixels, (v, i) => v - mean.values[i]!);
    const probs = tf.tidy(() => (net.predict(tf.tensor4d(input, [1, 28, 28, 1])) as tf.Tensor).dataSync() as Float32Array);
    net.dispose();
    const top = Array.from(probs.keys()).sort((a, b) => probs[b]! - probs[a]!).slice(0, 5).map((c) => [labels[c], Number((probs[c]! * 100).toFixed(2))]);
    const server = (one.json() as { predictions: [string, number][] }).predictions;
    t.same(top.map((p) => p[0]), server.map((p) => p[0]), 'same top-5 labels');
    top.forEach((p, i) => t.ok(Math.abs((p[1] as number) - server[i]![1]) <= 0.02, `${p[0]}: ${p[1]} vs ${server[i]![1]}`));

    const zip = await stack.app.inject(`/models/${model.id}/download.zip?epoch=5`);
    t.equal(zip.statusCode, 200);
    t.equal(zip.headers['content-disposition'], `attachment; filename=${model.id}_epoch_5.zip`);
    t.equal(zip.rawPayload.subarray(0, 2).toString(), 'PK');
    const plain = await stack.app.inject({ method: 'POST', url: `/models/${model.id}/download.tar`, payload: 'snapshot_epoch=5', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    t.equal(plain.statusCode, 200);
    t.equal(plain.rawPayload.subarray(257, 262).toString(), 'ustar');
    // .tar.bz2: the system's tar and bzip2 read it back to the members the .tar.gz holds, byte for byte
    const bz2 = await stack.app.inject(`/models/${model.id}/download.tar.bz2?epoch=5`);
    t.equal(bz2.statusCode, 200, bz2.statusCode === 200 ? 'the .tar.bz2 archive' : bz2.body.slice(0, 200));
    t.equal(bz2.headers['content-disposition'], `attachment; filename=${model.id}_epoch_5.tar.bz2`);
    t.equal(bz2.rawPayload.subarray(0, 3).toString(), 'BZh');
    const unpacked = await fs.mkdtemp(path.join(stack.dataDir, 'bz2-'));
    const untar = spawnSync('tar', ['-xjf', '-', '-C', unpacked], { input: bz2.rawPayload });
    t.equal(untar.status, 0, untar.stderr.toString());
    t.same((await fs.readdir(unpacked)).sort(), [...files.keys()].sort(), 'the .tar.gz members');
    for (const name of files.keys()) {
      if (name !== 'info.json') t.ok((await fs.readFile(path.join(unpacked, name))).equals(files.get(name)!), `${name} as in the .tar.gz`);
    }
    t.equal((await stack.app.inject(`/models/${model.id}/download.tbz2`)).statusCode, 400, '.tbz2 is not in the contract');
    t.equal((await stack.app.inject(`/models/${model.id}/download.rar`)).statusCode, 400);
    t.equal((await stack.app.inject(`/models/${model.id}/download?epoch=7`)).statusCode, 404);
    t.equal((await stack.app.inject(`/models/${ds.id}/download`)).statusCode, 404);

    // clients that hang up mid-download leave the gateway serving
    const base = await stack.app.listen({ port: 0, host: '127.0.0.1' });
    // each closes its socket after the first chunk (fetch's cancel could keep the connection
    // open, unread, until a timeout, and the gateway's close would wait for it)
    for (const ext of ['tar.gz', 'tgz', 'tar', 'tar.bz2', 'zip']) {
      await new Promise<void>((resolve, reject) => {
        const req = http.get(`${base}/models/${model.id}/download.${ext}`, (res) => {
          res.once('data', () => { req.destroy(); resolve(); });
        });
        req.on('error', (err: NodeJS.ErrnoException) => { if (err.code !== 'ECONNRESET') reject(err); });
      });
    }
    t.equal((await fetch(`${base}/index.json`)).status, 200, 'still serving after five hang-ups');
    const tgz = await stack.app.inject(`/models/${model.id}/download.tgz`);
    t.same([...tgz.rawPayload.subarray(0, 2)], [0x1f, 0x8b], '.tgz is gzip');
  });

  await t.test('bad inputs get clear 4xx answers', async (t) => {
    const url = '/models/images/classification/classify_one.json';
    const png = { image_file: { filename: 'x.png', data: await fs.readFile(seven) } };
    const cases: [string, Record<string, string>, Parameters<typeof multipart>[1], number, string][] = [
      ['no job_id', {}, png, 400, 'BAD_REQUEST'],
      ['unknown job', { job_id: '20200101-000000-abcd' }, png, 404, 'JOB_NOT_FOUND'],
      ['a dataset id', { job_id: ds.id }, png, 404, 'JOB_NOT_FOUND'],
      ['no image', { job_id: model.id }, {}, 400, 'BAD_REQUEST'],
      ['corrupt upload', { job_id: model.id }, { image_file: { filename: 'x.png', data: (await fs.readFile(seven)).subarray(0, 40) } }, 422, 'IMAGE_DECODE_FAILED'],
      ['not an image', { job_id: model.id }, { image_file: { filename: 'x.png', data: 'hello, world' } }, 422, 'IMAGE_DECODE_FAILED'],
      ['oversized image (pixel cap)', { job_id: model.id }, { image_file: { filename: 'big.png', data: await encodeImage({ data: Buffer.alloc(1200 * 1000), width: 1200, height: 1000, channels: 1 }, 'png') } }, 422, 'IMAGE_TOO_LARGE'],
      ['unknown epoch', { job_id: model.id, snapshot_epoch: '9' }, png, 404, 'SNAPSHOT_NOT_FOUND'],
      ['path outside DATA_ROOTS', { job_id: model.id, image_path: '/etc/hostname' }, {}, 400, 'PATH_NOT_ALLOWED'],
    ];
    for (const [label, fields, files, status, code] of cases) {
      const res = await post(url, fields, files);
      t.equal(res.statusCode, status, `${label}: ${res.body.slice(0, 200)}`);
      t.equal((res.json() as { error?: { code: string }; code?: string }).error?.code ?? (res.json() as { code?: string }).code, code, label);
    }
    const empty = await post('/models/images/classification/classify_many.json', { job_id: model.id }, { image_list: { filename: 'l.txt', data: 'nothing.png\n' } });
    t.equal(empty.statusCode, 400);
    t.match(empty.json(), { error: { description: /Unable to classify any image from the file/, code: 'BAD_REQUEST' } });

    const fresh = (await post('/models/images/classification.json', { model_name: 'untrained', dataset: ds.id, framework: 'tensorflow', method: 'standard', standard_networks: 'lenet', train_epochs: '30' })).json() as { id: string };
    await stack.app.inject({ method: 'POST', url: `/models/${fresh.id}/abort`, headers: { cookie } });
    const notReady = await post(url, { job_id: fresh.id }, png);
    t.equal(notReady.statusCode, 409, notReady.body);
    t.equal((notReady.json() as { error: { code: string } }).error.code, 'MODEL_NOT_READY');
  });
});
