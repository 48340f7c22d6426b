// Part 4 of the walkthrough: a regression model on the image-gradients dataset, with a custom
// network in each declarative format (TF.js layers JSON, Caffe prototxt), 3 epochs, then the
// generic inference routes (§10.5) on gradient images whose true slopes we know.
import fs from 'node:fs/promises';
import path from 'node:path';
import t from 'tap';
import { encodeImage } from '@digits-ts/imaging';
import { RequestClient } from '@digits-ts/queue';
import { gradientImage } from '../../apps/worker/src/extensions/image-gradients.ts';
import { login, multipart, startStack, waitForStatus } from '../helpers/stack.ts';

const FIXTURES = new URL('../fixtures/', import.meta.url);

/** A 32×32 gradient image of known slopes, as a PNG file inside the data root. */
async function gradientPng(dir: string, name: string, xslope: number, yslope: number): Promise<string> {
  const file = path.join(dir, name);
  await fs.writeFile(file, await encodeImage({ data: Buffer.from(gradientImage(32, 32, xslope, yslope)), width: 32, height: 32, channels: 1 }, 'png'));
  return file;
}

/** Flattens nested lists to numbers. */
const flat = (v: unknown): number[] => (Array.isArray(v) ? v.flatMap(flat) : [v as number]);

/** The JSON network: flatten → dense(2), learning the slopes from centred pixels. */
const LAYERS_JSON = JSON.stringify({
  class_name: 'Sequential',
  config: {
    name: 'gradients',
    layers: [
      { class_name: 'Rescaling', config: { name: 'scale', scale: 0.004, offset: 0, batch_input_shape: [null, 32, 32, 1] } },
      { class_name: 'Flatten', config: { name: 'flatten' } },
      { class_name: 'Dense', config: { name: 'output', units: 2, activation: 'linear' } },
    ],
  },
});

t.test('regression on image-gradients with custom networks in both formats', async (t) => {
  // every split streams from its LMDB through the read-ahead, the path large datasets take
  const stack = await startStack(t, { env: { TRAIN_IN_MEMORY_MAX_BYTES: '0' } });
  const cookie = await login(stack.app, 'alice');
  const post = (url: string, fields: Record<string, string>, files: Parameters<typeof multipart>[1] = {}) => {
    const body = multipart(fields, files);
    return stack.app.inject({ method: 'POST', url, payload: body.payload, headers: { ...body.headers, cookie } });
  };
  const ds = await post('/datasets/generic/create/image-gradients.json', { dataset_name: 'gradients', train_image_count: '1000', val_image_count: '250', image_width: '32', image_height: '32' });
  const datasetId = (ds.json() as { id: string }).id;
  t.equal(await waitForStatus(stack.app, datasetId), 'Done');
  t.same((await stack.app.inject(`/datasets/${datasetId}.json`)).json().feature_dims, [32, 32, 1]);

  const prototxt = await fs.readFile(new URL('gradient-regression.prototxt', FIXTURES), 'utf8');
  const networks = { json: LAYERS_JSON, prototxt };
  const slopes: [number, number][] = [[0.5, 0.5], [0.3, -0.2], [-0.45, 0.1]];
  const images = await Promise.all(slopes.map(([x, y], i) => gradientPng(stack.dataDir, `gradient-${i}.png`, x, y)));
  for (const [format, network] of Object.entries(networks)) {
    await t.test(`${format} network`, async (t) => {
      // the extension URL spellings DIGITS serves (§4.3) create the same kind of job
      const url = format === 'json' ? '/models/images/generic.json' : '/models/images/genericimage-gradients.json';
      const created = await post(url, {
        model_name: `gradients-${format}`, dataset: datasetId, framework: format === 'json' ? 'tensorflow' : 'caffe', method: 'custom', custom_network: network,
        train_epochs: '3', solver_type: 'ADAM', learning_rate: '0.001', lr_policy: 'fixed', batch_size: '16', shuffle: 'true', random_seed: '7', use_mean: 'image',
      });
      t.equal(created.statusCode, 200, created.body);
      const id = (created.json() as { id: string }).id;
      t.equal(await waitForStatus(stack.app, id, 120_000), 'Done', JSON.stringify((await stack.app.inject(`/models/${id}.json`)).json().error ?? null));
      t.match((await stack.app.inject(`/models/${id}/status`)).json(), { type: 'Generic Image Model', status: 'Done' });
      t.same(((await stack.app.inject(`/models/${id}.json`)).json() as { snapshots: number[] }).snapshots, [1, 2, 3]);
      const detail = (await stack.app.inject(`/models/${id}/training.json`)).json() as { train_outputs: Record<string, { values: number[] }>; val_outputs: Record<string, { kind: string; values: number[] }> };
      const valLoss = detail.val_outputs.loss!;
      t.equal(valLoss.kind, format === 'json' ? 'MeanSquaredError' : 'EuclideanLoss');
      t.equal(valLoss.values.length, 3, 'one val loss per epoch');
      t.ok(valLoss.values[2]! < valLoss.values[0]!, `val loss falls: ${valLoss.values.join(', ')}`);
      t.notOk('accuracy' in detail.val_outputs, 'regression reports no accuracy');

      const outputName = format === 'json' ? 'output' : 'output';
      for (const [i, file] of images.entries()) {
        const one = await post('/models/images/generic/infer_one.json', { job_id: id }, { image_file: { filename: path.basename(file), data: await fs.readFile(file) } });
        t.equal(one.statusCode, 200, one.body);
        const outputs = (one.json() as { outputs: Record<string, number[][]> }).outputs;
        t.same(Object.keys(outputs), [outputName]);
        t.equal(outputs[outputName]!.length, 1, 'infer_one keeps the batch dimension');
        const [x, y] = flat(outputs[outputName]);
        t.ok(Math.abs(x! - slopes[i]![0]) < 0.05 && Math.abs(y! - slopes[i]![1]) < 0.05, `slopes ${slopes[i]} → ${x!.toFixed(3)}, ${y!.toFixed(3)}`);
      }

      // infer_many: outputs per path without the batch dimension; labels at line ends are ignored
      const list = images.map((f, i) => `${path.basename(f)} ${i}`).concat('missing.png').join('\n');
      const many = await post('/models/images/generic/infer_many.json', { job_id: id, image_folder: stack.dataDir }, { image_list: { filename: 'list.txt', data: list } });
      t.equal(many.statusCode, 200, many.body);
      const manyBody = many.json() as { outputs: Record<string, Record<string, number[]>>; errors: Record<string, { code: string }> };
      t.same(Object.keys(manyBody.outputs), images.map((f) => path.basename(f)));
      for (const value of Object.values(manyBody.outputs)) t.equal(value[outputName]!.length, 2, 'a flat [x, y] per image');
      t.match(manyBody.errors, { 'missing.png': { code: 'IMAGE_NOT_FOUND' } });

      // infer_extension: the extension generates the entry from the form's slopes
      const ext = await post('/models/images/generic/infer_extension.json', { job_id: id, gradient_x: '0.2', gradient_y: '-0.3' });
      t.equal(ext.statusCode, 200, ext.body);
      const entry = (ext.json() as { outputs: Record<string, Record<string, number[]>> }).outputs['000000000']!;
      const [ex, ey] = flat(entry[outputName]);
      t.ok(Math.abs(ex! - 0.2) < 0.05 && Math.abs(ey! + 0.3) < 0.05, `extension entry → ${ex}, ${ey}`);
      const several = await post('/models/images/generic/infer_extension.json', { job_id: id, test_image_count: '3' });
      t.same(Object.keys((several.json() as { outputs: object }).outputs), ['000000000', '000000001', '000000002']);
      // a browser gets the outputs as a page, with the model page's form fields
      const page = await post('/models/images/generic/infer_many', { job_id: id, image_folder: stack.dataDir }, { image_list: { filename: 'list.txt', data: list } });
      t.equal(page.statusCode, 200);
      t.match(page.headers['content-type'], /text\/html/);
      t.equal([...page.body.matchAll(/<tr class="inference-row">/g)].length, images.length, 'one output row per image');
      t.match(page.body, /missing\.png<\/code>: .*IMAGE_NOT_FOUND/, 'and the unusable one listed');
      t.match((await stack.app.inject(`/models/${id}`)).body, /id="infer-extension"/, 'the model page offers the extension\'s inference form');
      const badExt = await post('/models/images/generic/infer_extension.json', { job_id: id, gradient_x: '2' });
      t.equal(badExt.statusCode, 400);
    });
  }

  // infer_db over an LMDB inside DATA_ROOTS (the dataset's val features, copied there)
  const models = ((await stack.app.inject('/index.json')).json() as { models: { id: string; name: string }[] }).models;
  const modelId = models.find((m) => m.name === 'gradients-json')!.id;
  const dbCopy = path.join(stack.dataDir, 'val-features');
  await fs.cp(path.join(stack.jobsDir, datasetId, 'val_db', 'features'), dbCopy, { recursive: true });
  const db = await post('/models/images/generic/infer_db.json', { job_id: modelId, db_path: dbCopy });
  t.equal(db.statusCode, 200, db.body.slice(0, 300));
  const dbOutputs = (db.json() as { outputs: Record<string, Record<string, number[]>> }).outputs;
  t.equal(Object.keys(dbOutputs).length, 250);
  t.equal(dbOutputs['000000000']!.output!.length, 2);
  const missing = await post('/models/images/generic/infer_db.json', { job_id: modelId, db_path: path.join(stack.dataDir, 'nope') });
  t.equal(missing.statusCode, 400);
  t.match(missing.json(), { error: { description: /^DB ".*" does not exit$/ } });

  // infer_db over the dataset job's own DBs (outside DATA_ROOTS, in JOBS_DIR): allowed
  const own = await post('/models/images/generic/infer_db.json', { job_id: modelId, db_path: path.join(stack.jobsDir, datasetId, 'train_db', 'features') });
  t.equal(own.statusCode, 200, own.body.slice(0, 300));
  const ownOutputs = (own.json() as { outputs: Record<string, Record<string, number[]>> }).outputs;
  t.equal(Object.keys(ownOutputs).length, 1000, 'every entry of the dataset\'s train features');
  t.equal(ownOutputs['000000999']!.output!.length, 2);
  const ownMissing = await post('/models/images/generic/infer_db.json', { job_id: modelId, db_path: path.join(stack.jobsDir, datasetId, 'test_db', 'features') });
  t.match(ownMissing.json(), { error: { description: /^DB ".*" does not exit$/ } }, 'a DB the dataset does not have');
  // …and nothing else of JOBS_DIR: a valid LMDB in a model's folder, `..` out of the dataset's
  // folder, the folder itself, a link inside it leading out
  await fs.cp(path.join(stack.jobsDir, datasetId, 'val_db', 'features'), path.join(stack.jobsDir, modelId, 'copied_db'), { recursive: true });
  await fs.symlink(path.join(stack.jobsDir, modelId, 'copied_db'), path.join(stack.jobsDir, datasetId, 'link-out'));
  for (const refused of [
    path.join(stack.jobsDir, modelId, 'copied_db'),
    `${stack.jobsDir}/${datasetId}/../${modelId}/copied_db`,
    `${stack.jobsDir}/${datasetId}/val_db/../../${modelId}/copied_db`,
    `${stack.jobsDir}/${datasetId}/train_db/../../.uploads`,
    `${stack.jobsDir}/${datasetId}/train_db/../../..`,
    path.join(stack.jobsDir, datasetId),
    path.join(stack.jobsDir, datasetId, 'link-out'),
  ]) {
    const res = await post('/models/images/generic/infer_db.json', { job_id: modelId, db_path: refused });
    t.equal(res.statusCode, 400, refused);
    t.match(res.json(), { code: 'PATH_NOT_ALLOWED' }, `${refused}: ${res.body.slice(0, 200)}`);
  }
  // the worker checks again (it trusts no path): a request naming the model's copy is refused there too
  const direct = { v: 1 as const, jobId: RequestClient.requestId(), modelId, epoch: -1, images: [], top: 5, mode: 'outputs' as const, source: { kind: 'db' as const, path: path.join(stack.jobsDir, modelId, 'copied_db') } };
  await t.rejects(stack.app.services.inference.request('classify-images', direct, 30_000), { code: 'PATH_NOT_ALLOWED' }, 'the worker refuses a DB outside the roots and the datasets');

  // generic forms: no standard networks, code is refused by name, a classification dataset is not a valid choice
  const standard = await post('/models/images/generic.json', { model_name: 'x', dataset: datasetId, framework: 'tensorflow', method: 'standard', standard_networks: 'lenet' });
  t.equal(standard.statusCode, 400);
  t.match(standard.json(), { errors: { standard_networks: ['Not a valid choice'] } });
  const lua = await post('/models/images/generic.json', { model_name: 'x', dataset: datasetId, framework: 'torch', method: 'custom', custom_network: "require 'nn'\nlocal net = nn.Sequential()\nreturn function(p) return {model = net} end" });
  t.equal(lua.statusCode, 400);
  t.match(lua.json(), { errors: { custom_network: [/Lua/] } });
  const python = await post('/models/images/generic.json', { model_name: 'x', dataset: datasetId, framework: 'tensorflow', method: 'custom', custom_network: 'from model import Tower\nclass UserModel(Tower):\n    pass\n' });
  t.match(python.json(), { errors: { custom_network: [/Python/] } });
  const unsupported = await post('/models/images/generic.json', { model_name: 'x', dataset: datasetId, framework: 'caffe', method: 'custom', custom_network: prototxt.replace('type: "Power"', 'type: "Python"') });
  t.equal(unsupported.statusCode, 400);
  t.match(unsupported.json(), { errors: { custom_network: [/"scale".*Python/] } });
});
