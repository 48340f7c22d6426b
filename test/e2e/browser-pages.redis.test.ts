// The web pages in a real browser (Debian's Chromium via playwright-core) against the real
// gateway, worker and Redis: log in, build an MNIST subset through the form, train LeNet while
// the graph grows, classify an uploaded digit, delete the model. Every page gets an axe-core
// scan (no serious or critical violations) and a screenshot under .tap/output/browser-pages.
import fs from 'node:fs/promises';
import path from 'node:path';
import t from 'tap';
import type { Page } from 'playwright-core';
import { writeMnistPngs } from '../../scripts/mnist.ts';
import { axeViolations, launchBrowser, screenshotDir, serious } from '../helpers/browser.ts';
import { startStack } from '../helpers/stack.ts';

t.test('log in, build a dataset, train LeNet, classify, delete — all through the pages', async (t) => {
  const stack = await startStack(t, { worker: true });
  const base = await stack.app.listen({ port: 0, host: '127.0.0.1' });
  await writeMnistPngs(stack.dataDir, { splits: ['train', 'test'], perClass: 100 });
  const browser = await launchBrowser(t);
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const shots = await screenshotDir('browser-pages');
  const pageErrors: string[] = [];
  page.on('pageerror', (err) => pageErrors.push(err.message));
  page.on('dialog', (dialog) => void dialog.accept());

  /** Screenshot and accessibility scan of the page as it is now. */
  const check = async (name: string) => {
    await page.screenshot({ path: path.join(shots, `${name}.png`), fullPage: true });
    const bad = serious(await axeViolations(page));
    t.same(bad, [], `${name}: no serious accessibility violations`);
  };
  const statusOf = (id: string) => page.locator(`tr[data-job="${id}"] [data-field="status"]`);

  await page.goto(`${base}/`);
  t.equal(await page.title(), 'DIGITS');
  await check('01-home-anonymous');

  // log in through the form; it comes back to where it started
  await page.locator('.user').getByRole('link', { name: 'Log in' }).click();
  await check('02-login');
  await page.getByLabel('Username').fill('Bad Name');
  await page.getByRole('button', { name: 'Login' }).click();
  t.match(await page.getByRole('alert').textContent(), /Must start with a lowercase letter/, 'the login page shows the rule broken');
  await page.getByLabel('Username').fill('alice');
  await page.getByRole('button', { name: 'Login' }).click();
  await page.waitForURL(`${base}/`);
  t.match(await page.locator('.user').textContent(), /Logged in as\s+alice/);

  // the dataset form: a server error shows beside its field, then the real submission
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'New dataset' }).click();
  await page.getByLabel('Resize Width').fill('28');
  await page.getByLabel('Resize Height').fill('28');
  await page.getByLabel('Image Type').selectOption('1');
  await page.getByRole('button', { name: 'Create' }).click();
  t.match(await page.locator('#f-dataset_name-error').textContent(), /This field is required/, 'the missing name is flagged beside its field');
  t.equal(await page.getByLabel('Resize Width').inputValue(), '28', 'what was typed is kept');
  await page.getByRole('button', { name: 'Show the four resize modes' }).click();
  await page.locator('#resize-examples figure img').nth(3).waitFor();
  t.equal(await page.locator('#resize-examples figure').count(), 4, 'four resize previews');
  t.match(await page.locator('#resize-examples').textContent(), /Image size: [\d.]+ (B|KB)/);
  await check('03-new-dataset');
  await page.locator('#f-folder_train').fill(path.join(stack.dataDir, 'train'));
  await page.locator('#f-dataset_name').fill('mnist-subset');
  await page.getByRole('button', { name: 'Create' }).click();
  await page.waitForURL(/\/datasets\/\d{8}-\d{6}-[0-9a-f]{4}$/);
  const datasetId = page.url().split('/').pop()!;
  await t.resolves(statusOf(datasetId).filter({ hasText: 'Done' }).waitFor({ timeout: 120_000 }), 'the dataset page turns Done by itself (live updates)');
  await page.reload();
  t.match(await page.locator('#dist-heading').textContent(), /Images per class/);
  t.equal(await page.locator('table.bars tbody tr').count(), 10, 'ten classes in the distribution');
  t.ok(await page.locator('img[alt="The mean of every training image"]').evaluate((img) => (img as unknown as { complete: boolean; naturalWidth: number }).naturalWidth === 28), 'the mean image loads');
  await check('04-dataset');

  await page.getByRole('link', { name: 'Explore the train DB' }).click();
  await page.locator('.gallery img').first().waitFor();
  t.equal(await page.locator('.gallery img').count(), 25, 'a page of 25 entries');
  await page.getByRole('navigation', { name: 'Classes' }).getByRole('link', { name: '7', exact: true }).click();
  t.match(await page.locator('main p').first().textContent(), /entries of class 7/);
  await check('05-explore');

  // a LeNet model from the dataset page's button; the graph must grow while it trains
  await page.goto(`${base}/datasets/${datasetId}`);
  await page.getByRole('link', { name: 'New model on this dataset' }).click();
  t.equal(await page.locator('#f-dataset').inputValue(), datasetId, 'the dataset is preselected');
  t.ok(await page.getByRole('radio', { name: 'LeNet', exact: true }).isChecked(), 'LeNet is the default network');
  // six seeded epochs: the graph grows through dozens of points, and the digit below lands in the
  // top 5 with room to spare
  await page.locator('#f-train_epochs').fill('6');
  await page.locator('#f-random_seed').fill('1');
  await page.locator('#f-model_name').fill('lenet-browser');
  await check('06-new-model');
  await page.getByRole('button', { name: 'Create' }).click();
  await page.waitForURL(/\/models\/\d{8}-\d{6}-[0-9a-f]{4}$/);
  const modelId = page.url().split('/').pop()!;
  const points = () => page.locator('#training-chart').getAttribute('data-points').then(Number);
  const seen: number[] = [];
  const started = Date.now();
  while (Date.now() - started < 180_000) {
    const now = await points();
    if (seen.length === 0 || now !== seen.at(-1)) seen.push(now);
    if ((await statusOf(modelId).textContent())?.trim() === 'Done') break;
    if (seen.length === 3) await page.screenshot({ path: path.join(shots, '07-model-training.png'), fullPage: true });
    await page.waitForTimeout(200);
  }
  t.ok(seen.filter((n) => n > 0).length >= 3, `the graph gained points while training without a reload: ${seen.join(' → ')}`);
  await t.resolves(statusOf(modelId).filter({ hasText: 'Done' }).waitFor({ timeout: 180_000 }), 'training ends Done');
  await page.reload();
  t.ok((await points()) >= seen.at(-1)!, 'the reloaded page draws every point');
  t.ok(await page.locator('#lr-chart canvas').count() > 0, 'the learning-rate curve is drawn');
  t.ok(await page.getByRole('link', { name: /tar\.gz/ }).first().isVisible(), 'snapshot downloads are offered');
  await check('08-model-done');

  await page.getByRole('link', { name: 'Open the large graph' }).click();
  await page.locator('#training-chart canvas').first().waitFor();
  await check('09-large-graph');
  await page.goBack();

  // classify one uploaded digit: its image and top-5 come back
  const digitDir = path.join(stack.dataDir, 'test', '3');
  const digit = path.join(digitDir, (await fs.readdir(digitDir))[0]!);
  await page.locator('#classify-one-image_file').setInputFiles(digit);
  await page.getByRole('button', { name: 'Classify one' }).click();
  await page.waitForURL(/classify_one$/);
  const rows = page.locator('ul.list-group li.list-group-item');
  t.equal(await rows.count(), 5, 'top-5 predictions');
  const top5 = await rows.locator('.prediction-label').allTextContents();
  t.ok(top5.includes('3'), `a test-set 3 is in the top-5: ${top5.join(', ')}`);
  t.ok(await page.locator('img[alt="The image as the network saw it"]').evaluate((img) => (img as unknown as { naturalWidth: number }).naturalWidth === 28), 'the image as the network saw it, 28 px wide');
  await check('10-classify-one');
  await page.goBack();

  // classify a labelled list: statistics and the confusion matrix
  const list = (await Promise.all([0, 1, 2, 3, 4, 5, 6, 7, 8, 9].map(async (d) => (await fs.readdir(path.join(stack.dataDir, 'test', String(d)))).slice(0, 5).map((f) => `${d}/${f} ${d}`)))).flat().join('\n');
  const listFile = path.join(stack.dataDir, 'list.txt');
  await fs.writeFile(listFile, list);
  await page.locator('#classify-many-image_list').setInputFiles(listFile);
  await page.locator('#classify-many-image_folder').fill(path.join(stack.dataDir, 'test'));
  await page.getByRole('button', { name: 'Classify many' }).click();
  await page.waitForURL(/classify_many$/);
  t.match(await page.locator('#stats-heading + p').textContent(), /Top-1 accuracy [\d.]+%/);
  t.equal(await page.locator('table.confusion tbody tr').count(), 10, 'a 10×10 confusion matrix');
  await check('11-classify-many');
  await page.goBack();

  await page.locator('#top-n-image_list').setInputFiles(listFile);
  await page.locator('#top-n-image_folder').fill(path.join(stack.dataDir, 'test'));
  await page.locator('#top-n-top_n').fill('3');
  await page.getByRole('button', { name: 'Show top images' }).click();
  await page.waitForURL(/top_n$/);
  t.equal(await page.locator('main section').count(), 10, 'one section per class');
  await check('12-top-n');

  // reading needs no JavaScript: the tables and the training data are in the HTML
  const plain = await browser.newContext({ javaScriptEnabled: false });
  const noJs = await plain.newPage();
  await noJs.goto(`${base}/models/${modelId}`);
  t.equal((await noJs.locator(`tr[data-job="${modelId}"] [data-field="status"]`).textContent())?.trim(), 'Done', 'without JavaScript the model page reads');
  t.ok((await noJs.locator('details table tbody tr').count()) > 10, 'the training outputs are there as a table');
  await noJs.goto(`${base}/`);
  t.equal(await noJs.locator(`tr[data-job="${modelId}"]`).count(), 1, 'the home page lists the model');
  await plain.close();

  // delete the model from its page; the home page no longer lists it
  await page.goto(`${base}/models/${modelId}`);
  await page.getByRole('button', { name: /^Delete/ }).click();
  await page.waitForURL(`${base}/`);
  t.equal(await page.locator(`tr[data-job="${modelId}"]`).count(), 0, 'the model is gone from the home page');
  t.equal((await stack.app.inject(`/models/${modelId}.json`)).statusCode, 404, 'and from the server');
  await check('13-home-after-delete');
  t.same(pageErrors, [], 'no script errors on any page');
});
