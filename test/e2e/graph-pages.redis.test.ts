// The model page's training graph in a real browser (Debian's Chromium via playwright-core),
// drawn from job records written straight into the store (no training needed): the first
// report is drawn on its own from epoch 0, `large_graph` is larger than the inline graph, the rate used is
// drawn as steps, and the status row labels its figures. Screenshots go to
// .tap/output/graph-pages.
import fs from 'node:fs/promises';
import path from 'node:path';
import t from 'tap';
import type { Page } from 'playwright-core';
import type { JobRecord, Outputs } from '@digits-ts/contracts';
import { launchBrowser, screenshotDir } from '../helpers/browser.ts';
import { login, multipart, startStack } from '../helpers/stack.ts';

const LOSS_COLOR = [11, 83, 148];
const USED_LR_COLOR = [192, 57, 43];

/** Train and val outputs as the trainer reports them, at the given epochs. */
function outputs(epochs: number[], series: Record<string, { kind: string; at: (epoch: number) => number }>): Outputs {
  const out: Outputs = { epoch: { kind: 'Epoch', values: epochs } };
  for (const [name, s] of Object.entries(series)) out[name] = { kind: s.kind, values: epochs.map(s.at) };
  return out;
}

/** Runs `body` in the page with `args` bound (a string, so this Node-side file needs no DOM typings). */
function inPage<T>(page: Page, args: Record<string, unknown>, body: string): Promise<T> {
  return page.evaluate(`(() => { const { ${Object.keys(args).join(', ')} } = ${JSON.stringify(args)}; ${body} })()`) as Promise<T>;
}

/** Counts pixels within a few levels of rgb in a canvas region: defined in the page as `near`. */
const NEAR = `const near = (canvas, x0, y0, w, h, [r, g, b], tolerance) => {
  const data = canvas.getContext('2d').getImageData(x0, y0, w, h).data;
  let n = 0;
  for (let i = 0; i < data.length; i += 4) if (Math.abs(data[i] - r) < tolerance && Math.abs(data[i + 1] - g) < tolerance && Math.abs(data[i + 2] - b) < tolerance) n++;
  return n;
};`;

/** How many pixels of the element's canvas are close to `rgb`. */
function pixelsOf(page: Page, selector: string, rgb: number[]): Promise<number> {
  return inPage(page, { selector, rgb }, `${NEAR} const canvas = document.querySelector(selector + ' canvas'); return near(canvas, 0, 0, canvas.width, canvas.height, rgb, 24);`);
}

/** Whether the learning-rate canvas has the used rate's colour within 3 pixels above or below (x, y). */
function usedRateAt(page: Page, x: number, y: number): Promise<boolean> {
  return inPage(page, { x, y, rgb: USED_LR_COLOR }, `${NEAR} const canvas = document.querySelector('#lr-chart canvas'); return near(canvas, Math.round(x), Math.round(y) - 3, 1, 7, rgb, 30) > 0;`);
}

/** The uPlot charts' heights (the page keeps each instance on its element). */
function chartHeights(page: Page): Promise<number[]> {
  return inPage(page, {}, `return ['#training-chart', '#lr-chart'].map((s) => document.querySelector(s).uplot.height);`);
}

t.test('the training graph on the model page and large_graph', async (t) => {
  const stack = await startStack(t, { worker: false });
  const base = await stack.app.listen({ port: 0, host: '127.0.0.1' });
  const cookie = await login(stack.app, 'alice');
  for (const label of ['a', 'b']) await fs.mkdir(path.join(stack.dataDir, label));
  const post = async (url: string, fields: Record<string, string>) => {
    const body = multipart(fields);
    const res = await stack.app.inject({ method: 'POST', url, payload: body.payload, headers: { ...body.headers, cookie } });
    t.equal(res.statusCode, 200, url, { body: res.body });
    return (res.json() as { id: string }).id;
  };
  // the jobs wait in their queues (no worker); their records get the outputs a training writes
  const datasetId = await post('/datasets/images/classification.json', { dataset_name: 'digits', folder_train: stack.dataDir, resize_width: '28', resize_height: '28' });
  const model = (name: string) => post('/models/images/classification.json', {
    model_name: name, dataset: datasetId, framework: 'tensorflow', method: 'standard', standard_networks: 'lenet', train_epochs: '4',
    learning_rate: '0.01', lr_policy: 'step', lr_step_size: '50', lr_step_gamma: '0.1',
  });
  const trained = (record: JobRecord, epoch: number, train: Outputs, val: Outputs): JobRecord => ({
    ...record, status: 'D', progress: 1,
    model: { engine: null, snapshots: [], trainOutputs: train, valOutputs: val, epoch, imagesPerSecond: 512.4, inputShape: [28, 28, 1], batchSize: 64, replicas: 1 },
  });

  const firstId = await model('first-report');
  await stack.app.services.store.update(firstId, (r) => trained(r, 0.25, outputs([0.25], { loss: { kind: 'SoftmaxWithLoss', at: () => 2.3 }, learning_rate: { kind: 'LearningRate', at: () => 0.01 } }), { epoch: { kind: 'Epoch', values: [] } }));

  // reports every quarter epoch; the rate used drops after the report at epoch 2
  const epochs = Array.from({ length: 16 }, (_, i) => (i + 1) / 4);
  const fullId = await model('lenet');
  await stack.app.services.store.update(fullId, (r) => trained(r, 4,
    outputs(epochs, { loss: { kind: 'SoftmaxWithLoss', at: (e) => 2.3 / (1 + 2 * e) }, learning_rate: { kind: 'LearningRate', at: (e) => (e <= 2 ? 0.01 : 0.001) } }),
    outputs([1, 2, 3, 4], { loss: { kind: 'SoftmaxWithLoss', at: (e) => 2 / (1 + 2 * e) }, accuracy: { kind: 'Accuracy', at: (e) => 0.9 + e * 0.0175 } })));

  const browser = await launchBrowser(t);
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const pageErrors: string[] = [];
  page.on('pageerror', (err) => pageErrors.push(err.message));
  const shots = await screenshotDir('graph-pages');

  await t.test('a single report is drawn', async (t) => {
    await page.goto(`${base}/models/${firstId}`);
    await page.locator('#training-chart canvas').waitFor();
    t.equal(await page.locator('#training-chart').getAttribute('data-points'), '1');
    t.ok(await pixelsOf(page, '#training-chart', LOSS_COLOR) > 0, 'the first loss point is on the canvas');
    t.same(await inPage(page, {}, `return ['#training-chart', '#lr-chart'].map((s) => document.querySelector(s).uplot.scales.x.min);`), [0, 0], 'both graphs start where training starts');
    t.ok(await pixelsOf(page, '#lr-chart', USED_LR_COLOR) > 0, 'so does the first rate used');
    await page.locator('section[aria-labelledby="graph-heading"]').screenshot({ path: path.join(shots, 'model-graph-first-report.png') });
  });

  await t.test('the model page: labelled figures, the rate used as steps', async (t) => {
    await page.goto(`${base}/models/${fullId}`);
    await page.locator('#lr-chart canvas').waitFor();
    const figures = (await page.locator('tr[data-job] td.figures').innerText()).replace(/\s+/g, ' ').trim();
    await page.locator('table.jobs').screenshot({ path: path.join(shots, 'model-status-row.png') });
    t.match(figures, /^Epoch 4 of 4 · 512 images\/s · elapsed \d+s · best validation accuracy 97\.00 %$/, 'each figure says what it is');

    // at an epoch between the reports at 2 and 2.25 a step is still at the rate reported at 2;
    // a straight line from one report to the next would be halfway between the two rates
    const probe = await inPage<{ x: number; high: number; middle: number }>(page, {}, `const u = document.querySelector('#lr-chart').uplot;
      return { x: u.valToPos(2.125, 'x', true), high: u.valToPos(0.01, 'lr', true), middle: u.valToPos(0.0055, 'lr', true) };`);
    t.ok(await usedRateAt(page, probe.x, probe.high), 'the rate used holds until the next report');
    t.notOk(await usedRateAt(page, probe.x, probe.middle), 'no slope between two reports');
    t.ok(await pixelsOf(page, '#lr-chart', USED_LR_COLOR) > 0);
    const [inline, inlineLr] = await chartHeights(page);
    await page.locator('section[aria-labelledby="graph-heading"]').screenshot({ path: path.join(shots, 'model-graph.png') });

    await page.getByRole('link', { name: 'Open the large graph' }).click();
    await page.waitForURL(/large_graph/);
    await page.locator('#lr-chart canvas').waitFor();
    const [large, largeLr] = await chartHeights(page);
    t.ok(large! > inline!, `large_graph's graph is taller (${large} > ${inline})`);
    t.ok(largeLr! > inlineLr!, `and so is its learning-rate graph (${largeLr} > ${inlineLr})`);
    const box = await page.locator('#training-chart').boundingBox();
    t.ok(box && box.height >= large!, 'the element holds the larger chart');
    await page.screenshot({ path: path.join(shots, 'large-graph.png'), fullPage: true });
  });

  t.same(pageErrors, [], 'no script errors');
});
