// View extensions on the generic inference pages (contract §10.6), through the real gateway and
// worker: two cheap Caffe regressions on image-gradients — the plain one (first output the
// [gx, gy] pair) and one whose first output is a deploy-only 32×32×3 image of known pixels — then
// Raw Data, Gradients and Image output on infer_one / infer_many / infer_db / infer_extension
// pages, JSON answers unchanged by the view, the config snippets, and the refusals.
import fs from 'node:fs/promises';
import path from 'node:path';
import t from 'tap';
import sharp from 'sharp';
import { encodeImage } from '@digits-ts/imaging';
import { gradientImage } from '../../apps/worker/src/extensions/image-gradients.ts';
import { axeViolations, launchBrowser, serious } from '../helpers/browser.ts';
import { login, multipart, startStack, waitForStatus } from '../helpers/stack.ts';

const FIXTURES = new URL('../fixtures/', import.meta.url);
const SIZE = 32;
const flat = (v: unknown): number[] => (Array.isArray(v) ? v.flatMap(flat) : [v as number]);
/** The PNGs of the Image output view on a page, decoded. */
const outputImages = (body: string) => Promise.all([...body.matchAll(/<img src="data:image\/png;base64,([^"]+)"[^>]*class="pixelated output-image"/g)]
  .map((m) => sharp(Buffer.from(m[1]!, 'base64')).raw().toBuffer({ resolveWithObject: true })));
/** The Gradients view's arrows on a page: shaft ends, colour and the printed (gx, gy). */
const arrows = (body: string) => [...body.matchAll(/stroke="(#[0-9a-f]{6})"[^>]*>\s*<line x1="([-\d.]+)" y1="([-\d.]+)" x2="([-\d.]+)" y2="([-\d.]+)" \/>[\s\S]*?Gradx: ([-\d.e]+)<br>Grady: ([-\d.e]+)/g)]
  .map((m) => ({ color: m[1], line: m.slice(2, 6).map(Number), gx: Number(m[6]), gy: Number(m[7]) }));

t.test('view extensions on the generic inference pages', async (t) => {
  const stack = await startStack(t);
  const cookie = await login(stack.app, 'alice');
  const post = (url: string, fields: Record<string, string>, files: Parameters<typeof multipart>[1] = {}, headers: Record<string, string> = {}) => {
    const body = multipart(fields, files);
    return stack.app.inject({ method: 'POST', url, payload: body.payload, headers: { ...body.headers, cookie, ...headers } });
  };
  const ds = await post('/datasets/generic/create/image-gradients.json', { dataset_name: 'gradients', train_image_count: '320', val_image_count: '32', image_width: String(SIZE), image_height: String(SIZE) });
  const datasetId = (ds.json() as { id: string }).id;
  t.equal(await waitForStatus(stack.app, datasetId), 'Done');
  const train = async (name: string, fixture: string) => {
    const created = await post('/models/images/generic.json', {
      model_name: name, dataset: datasetId, framework: 'caffe', method: 'custom', custom_network: await fs.readFile(new URL(fixture, FIXTURES), 'utf8'),
      train_epochs: '1', solver_type: 'ADAM', learning_rate: '0.001', lr_policy: 'fixed', batch_size: '16', random_seed: '7', use_mean: 'none',
    });
    t.equal(created.statusCode, 200, created.body);
    const id = (created.json() as { id: string }).id;
    t.equal(await waitForStatus(stack.app, id, 120_000), 'Done', `${name} trained`);
    return id;
  };
  const pairModel = await train('gradients', 'gradient-regression.prototxt');
  const imageModel = await train('gradients-image', 'gradient-image-output.prototxt');

  const slopes: [number, number][] = [[0.3, -0.2], [-0.15, 0.1], [0.2, 0.1]];
  const pixels = slopes.map(([x, y]) => gradientImage(SIZE, SIZE, x, y));
  const files = await Promise.all(pixels.map(async (data, i) => {
    const file = path.join(stack.dataDir, `g${i}.png`);
    await fs.writeFile(file, await encodeImage({ data: Buffer.from(data), width: SIZE, height: SIZE, channels: 1 }, 'png'));
    return file;
  }));
  const upload = async (i: number) => ({ image_file: { filename: path.basename(files[i]!), data: await fs.readFile(files[i]!) } });
  const list = { image_list: { filename: 'list.txt', data: files.map((f) => path.basename(f)).join('\n') } };

  await t.test('Raw Data, the default: the outputs as NumPy text per input; JSON unchanged by any view', async (t) => {
    const json = await post('/models/images/generic/infer_one.json', { job_id: pairModel }, await upload(0));
    t.equal(json.statusCode, 200, json.body);
    const outputs = (json.json() as { outputs: Record<string, number[][]> }).outputs;
    for (const view of ['all-raw-data', 'image-gradients', 'image-output']) {
      const again = await post('/models/images/generic/infer_one.json', { job_id: pairModel, view_extension_id: view }, await upload(0));
      t.same(again.json(), { outputs }, `JSON with ${view}: the outputs only`);
    }
    const page = await post('/models/images/generic/infer_one', { job_id: pairModel }, await upload(0));
    t.equal(page.statusCode, 200, page.body.slice(0, 300));
    t.match(page.body, /data-view="all-raw-data">Raw Data</);
    t.match(page.body, /<h2 id="source-heading">Source image<\/h2>[\s\S]*?<img src="data:image\/png;base64,/, 'the source image');
    t.match(page.body, /Inference visualization/);
    const [, name, text] = /<table class="raw-data">\s*<tr><td>([^<]+)<\/td><td><pre>([^<]+)<\/pre>/.exec(page.body) ?? [];
    t.equal(name, 'output');
    t.match(text, /^\[ ?-?\d/, 'NumPy text');
    const printed = text!.replace(/[[\]]/g, ' ').trim().split(/\s+/).map(Number);
    const values = flat(outputs.output);
    t.equal(printed.length, 2);
    printed.forEach((v, i) => t.ok(Math.abs(v - values[i]!) < 1e-6, `value ${i}: ${v} is ${values[i]}`));
    // a query-string view is not read (§10.6: the form body only)
    const query = await post(`/models/images/generic/infer_one?view_extension_id=image-gradients`, { job_id: pairModel }, await upload(0));
    t.match(query.body, /data-view="all-raw-data"/);

    const many = await post('/models/images/generic/infer_many', { job_id: pairModel, image_folder: stack.dataDir }, list);
    t.equal(many.statusCode, 200);
    const rows = [...many.body.matchAll(/<tr class="inference-row"><td>(\d+)<\/td><td><code>([^<]+)<\/code><\/td><td>\s*<table class="raw-data">/g)];
    t.same(rows.map((r) => [r[1], r[2]]), files.map((f, i) => [String(i + 1), path.basename(f)]), 'a row per path: number, path, values');
    t.match(many.body, /<h2>Summary<\/h2>/);
  });

  await t.test('Gradients: an arrow per input along (gx·W, gy·H) × arrow_size %', async (t) => {
    const json = (await post('/models/images/generic/infer_one.json', { job_id: pairModel }, await upload(0))).json() as { outputs: { output: number[][] } };
    const [gx, gy] = flat(json.outputs.output);
    const page = await post('/models/images/generic/infer_one', { job_id: pairModel, view_extension_id: 'image-gradients', arrow_color: 'blue', arrow_size: '50' }, await upload(0));
    t.equal(page.statusCode, 200, page.body.slice(0, 300));
    const [arrow] = arrows(page.body);
    t.ok(arrow, 'an arrow');
    t.equal(arrow!.color, '#0000ff');
    t.ok(Math.abs(arrow!.gx - gx!) < 1e-9 && Math.abs(arrow!.gy - gy!) < 1e-9, 'Gradx / Grady are the output');
    const [x1, y1, x2, y2] = arrow!.line;
    t.ok(Math.abs(x2! - x1! - gx! * SIZE * 0.5) < 0.02 && Math.abs(y2! - y1! - gy! * SIZE * 0.5) < 0.02, `shaft (${x1},${y1}) → (${x2},${y2}) for ${gx}, ${gy}`);
    t.ok(Math.abs((x1! + x2!) / 2 - SIZE / 2) < 0.02 && Math.abs((y1! + y2!) / 2 - SIZE / 2) < 0.02, 'across the centre');
    t.match(page.body, /<svg viewBox="0 0 32 32"[^>]*>\s*<image href="data:image\/png;base64,/, 'over the input image');

    const many = await post('/models/images/generic/infer_many', { job_id: pairModel, image_folder: stack.dataDir, view_extension_id: 'image-gradients' }, list);
    const drawn = arrows(many.body);
    t.equal(drawn.length, files.length, 'one arrow per image');
    t.ok(drawn.every((a) => a.color === '#ff0000'), 'red, the default colour');
    // infer_extension: a single generated entry shows alone; infer_db lists DB keys
    const ext = await post('/models/images/generic/infer_extension', { job_id: pairModel, gradient_x: '0.4', gradient_y: '0.1', view_extension_id: 'image-gradients' });
    t.equal(ext.statusCode, 200);
    t.equal(arrows(ext.body).length, 1);
    t.match(ext.body, /Inference visualization/);
    const db = path.join(stack.dataDir, 'val-features');
    await fs.cp(path.join(stack.jobsDir, datasetId, 'val_db', 'features'), db, { recursive: true });
    const dbPage = await post('/models/images/generic/infer_db', { job_id: pairModel, db_path: db, view_extension_id: 'image-gradients' });
    t.equal(dbPage.statusCode, 200);
    t.equal(arrows(dbPage.body).length, 32);
    t.match(dbPage.body, /<th scope="col">Key<\/th>[\s\S]*<td><code>000000000<\/code><\/td>/);
  });

  await t.test('Image output: the first output drawn by the worker as a PNG', async (t) => {
    const json = await post('/models/images/generic/infer_one.json', { job_id: imageModel }, await upload(0));
    const outputs = (json.json() as { outputs: Record<string, unknown> }).outputs;
    t.same(Object.keys(outputs), ['image', 'output'], 'the deploy-only image comes first');
    const again = await post('/models/images/generic/infer_one.json', { job_id: imageModel, view_extension_id: 'image-output' }, await upload(0));
    t.same(again.json(), { outputs }, 'JSON unchanged');

    const g = pixels[0]!;
    const expect = async (fields: Record<string, string>, pixel: (v: number) => [number, number, number]) => {
      const page = await post('/models/images/generic/infer_one', { job_id: imageModel, ...fields }, await upload(0));
      t.equal(page.statusCode, 200, page.body.slice(0, 300));
      const [img] = await outputImages(page.body);
      t.same([img!.info.width, img!.info.height, img!.info.channels], [SIZE, SIZE, 3], `${JSON.stringify(fields)}: a 32×32 RGB PNG`);
      let off = 0;
      g.forEach((v, i) => {
        const want = pixel(v);
        const got = [...img!.data.subarray(i * 3, i * 3 + 3)];
        if (want.some((w, c) => Math.abs(w - got[c]!) > 1)) off++;
      });
      t.equal(off, 0, `${JSON.stringify(fields)}: every pixel as expected`);
    };
    await expect({ view_extension_id: 'image-output', pixel_conversion: 'clip' }, (v) => [v, 255 - v, 0]);
    await expect({ view_extension_id: 'image-image-output', pixel_conversion: 'clip', channel_order: 'bgr' }, (v) => [0, 255 - v, v]);
    const max = Math.max(...g, ...g.map((v) => 255 - v));
    t.ok(max < 250, 'a gradient that normalize stretches');
    await expect({ view_extension_id: 'image-image-output' }, (v) => [Math.trunc((v / max) * 255), Math.trunc(((255 - v) / max) * 255), 0]);

    const many = await post('/models/images/generic/infer_many', { job_id: imageModel, image_folder: stack.dataDir, view_extension_id: 'image-output' }, list);
    t.equal(many.statusCode, 200);
    const drawn = await outputImages(many.body);
    t.equal(drawn.length, files.length, 'one image per input');
    t.ok(drawn.every((d) => d.info.width === SIZE && d.info.height === SIZE));

    // the pair model's first output is no image: the page is refused, saying why
    const refused = await post('/models/images/generic/infer_one', { job_id: pairModel, view_extension_id: 'image-output' }, await upload(0));
    t.equal(refused.statusCode, 422);
    t.match(refused.body, /MODEL_SHAPE_MISMATCH/);
    t.match(refused.body, /cannot draw output &quot;output&quot;/);
  });

  await t.test('view config snippets and refusals', async (t) => {
    const config = async (id: string) => {
      const res = await stack.app.inject(`/models/view-config/${id}?arrow_size=5&channel_order=bgr`);
      t.equal(res.statusCode, 200, `${id}: ${res.body.slice(0, 200)}`);
      t.match(res.headers['content-type'], /^text\/html/);
      return res.body;
    };
    t.equal((await config('all-raw-data')).trim(), '<small>This visualization has no configuration options</small>');
    for (const id of ['image-image-output', 'image-output']) {
      const body = await config(id);
      t.match(body, /^<small>[^<]+<\/small>/);
      t.match(body, /<select [^>]*name="channel_order"[^>]*>[\s\S]*?<option value="rgb" selected>/, `${id}: channel_order, rgb selected (query ignored)`);
      t.match(body, /<select [^>]*name="pixel_conversion"[^>]*>[\s\S]*?<option value="normalize" selected>/);
      t.match(body, /<label for="[^"]+">Channel order/);
    }
    const gradients = await config('image-gradients');
    t.match(gradients, /<select [^>]*name="arrow_color"[^>]*>[\s\S]*?<option value="red" selected>/);
    t.match(gradients, /<input type="number" [^>]*name="arrow_size" value="80"/, 'arrow_size 80 (query ignored)');
    const unknown = await stack.app.inject({ url: '/models/view-config/no-such-view', headers: { accept: 'application/json' } });
    t.equal(unknown.statusCode, 404);
    t.match(unknown.json(), { error: { type: 'NotFound', description: "Unknown extension 'no-such-view'", code: 'NOT_FOUND' } });

    for (const url of ['/models/images/generic/infer_one.json', '/models/images/generic/infer_one']) {
      const bad = await post(url, { job_id: pairModel, view_extension_id: 'bogus' }, await upload(0), { accept: 'application/json' });
      t.equal(bad.statusCode, 400);
      t.match(bad.json(), { error: { type: 'BadRequest', description: "Unknown extension 'bogus'", code: 'VALIDATION_FAILED' } }, `${url}: unknown view`);
    }
    const badSize = await post('/models/images/generic/infer_many.json', { job_id: pairModel, image_folder: stack.dataDir, view_extension_id: 'image-gradients', arrow_size: 'big' }, list);
    t.equal(badSize.statusCode, 400);
    t.match(badSize.json(), { error: { description: /^Extension form validation failed with .*arrow_size/, code: 'VALIDATION_FAILED', details: { errors: { arrow_size: ['Not a valid integer value'] } } } });

    // the model page offers every view, sorted by id, and loads the chosen one's fields
    const modelPage = (await stack.app.inject(`/models/${pairModel}`)).body;
    const select = /<select [^>]*name="view_extension_id"[^>]*>([\s\S]*?)<\/select>/.exec(modelPage)?.[1] ?? '';
    t.same([...select.matchAll(/<option value="([^"]+)"/g)].map((m) => m[1]), ['all-raw-data', 'image-bounding-boxes', 'image-gradients', 'image-image-output', 'image-segmentation']);
    t.match(select, /<option value="all-raw-data" selected>/);
    t.match(modelPage, /<script src="\/static\/js\/inference-views\.js"/);
  });

  await t.test('in a browser: the model page loads the chosen view\'s fields and posts them', async (t) => {
    const base = await stack.app.listen({ port: 0, host: '127.0.0.1' });
    const browser = await launchBrowser(t);
    const page = await browser.newPage();
    const pageErrors: string[] = [];
    page.on('pageerror', (err) => pageErrors.push(err.message));
    await page.goto(`${base}/models/${pairModel}`);
    const form = page.locator('#infer-one');
    await form.getByLabel('Visualization').selectOption('image-gradients');
    await form.locator('[name="arrow_size"]').waitFor();
    await form.getByLabel('Arrow color').selectOption('green');
    t.same(serious(await axeViolations(page)), [], 'model page with the loaded fields: no serious accessibility violations');
    await form.locator('input[type="file"][name="image_file"]').setInputFiles(files[1]!);
    await Promise.all([page.waitForURL(/infer_one$/), form.getByRole('button', { name: 'Infer one' }).click()]);
    t.equal(await page.locator('.gradient-arrow').getAttribute('stroke'), '#00ff00', 'the result page draws the arrow in the chosen colour');
    t.match(await page.locator('.gradient-view figcaption').textContent(), /Gradx: -?\d.*Grady: -?\d/);
    t.same(serious(await axeViolations(page)), [], 'result page: no serious accessibility violations');
    t.same(pageErrors, [], 'no script errors');
  });
});
