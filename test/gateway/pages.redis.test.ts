// The HTML pages over inject(): every form field of the API is on its page with its default,
// form errors come back beside their fields, DIGITS' redirecting login, CSRF for browser
// sessions (and not for curl), clone, the summary snippet, the live all-jobs stream, and what
// scripts scrape from DIGITS' pages: titles, classify_one's list group, the explorer's page sizes.
import fs from 'node:fs/promises';
import path from 'node:path';
import t from 'tap';
import { DATASET_FORM, DATASET_UPLOAD_FIELDS, MODEL_FORM, PREBUILT_DATASET_FORM } from '../../apps/gateway/src/forms/index.ts';
import { importSharedLenet } from '../helpers/shared-lenet.ts';
import { login, multipart, startStack } from '../helpers/stack.ts';

/** The names of every input, select and textarea of an HTML page. */
function controlNames(html: string): Set<string> {
  return new Set([...html.matchAll(/<(?:input|select|textarea)\b[^>]*\bname="([^"]+)"/g)].map((m) => m[1]!));
}

/** The value attribute of the named text/number input. */
function valueOf(html: string, name: string): string | undefined {
  return new RegExp(`<input[^>]*name="${name}"[^>]*value="([^"]*)"`).exec(html)?.[1];
}

/** The CSRF token a page hands its forms. */
const csrfOf = (html: string) => /name="_csrf" value="([^"]+)"/.exec(html)?.[1];

t.test('the new pages carry every field of their forms, with defaults and help', async (t) => {
  const stack = await startStack(t, { worker: false });
  const cookie = await login(stack.app, 'alice');
  const page = async (url: string) => {
    const res = await stack.app.inject({ url, headers: { cookie } });
    t.equal(res.statusCode, 200, url);
    t.match(res.headers['content-type'], /text\/html/);
    return res.body;
  };
  const dataset = await page('/datasets/images/classification/new');
  const names = controlNames(dataset);
  for (const field of [...Object.keys(DATASET_FORM), ...Object.keys(DATASET_UPLOAD_FIELDS)]) t.ok(names.has(field), `dataset form has ${field}`);
  t.equal(valueOf(dataset, 'resize_width'), '256', 'defaults are filled in');
  t.equal(valueOf(dataset, 'folder_pct_val'), '25');
  t.match(dataset, /id="f-resize_width-help"/, 'each field has its help');
  t.match(dataset, /<input type="checkbox" id="f-textfile_use_val" name="textfile_use_val" value="y" checked/, 'textfile_use_val ticked as DIGITS\' page has it');

  const model = await page('/models/images/classification/new');
  const modelNames = controlNames(model);
  for (const field of Object.keys(MODEL_FORM)) t.ok(modelNames.has(field), `model form has ${field}`);
  t.match(model, /value="lenet" checked/, 'LeNet is the default network');
  t.equal(valueOf(model, 'train_epochs'), '30');
  t.equal(valueOf(model, 'learning_rate'), '0.01');

  const prebuilt = await page('/datasets/images/generic/new');
  for (const field of Object.keys(PREBUILT_DATASET_FORM)) t.ok(controlNames(prebuilt).has(field), `prebuilt form has ${field}`);
  const gradients = await page('/datasets/generic/new/image-gradients');
  t.ok(controlNames(gradients).has('train_image_count'));
  t.equal((await stack.app.inject({ url: '/datasets/generic/new/nope', headers: { cookie } })).statusCode, 404);
  const generic = await page('/models/images/generic/new');
  t.notMatch(generic, /value="lenet"/, 'generic models offer no standard networks');
});

t.test('new pages need a login: redirect for browsers, 401 for JSON', async (t) => {
  const stack = await startStack(t, { worker: false });
  const res = await stack.app.inject('/models/images/classification/new');
  t.equal(res.statusCode, 302);
  t.equal(res.headers.location, '/login?next=%2Fmodels%2Fimages%2Fclassification%2Fnew');
  const json = await stack.app.inject({ url: '/models/images/classification/new', headers: { accept: 'application/json' } });
  t.equal(json.statusCode, 401);
  t.equal(json.json().error.code, 'LOGIN_REQUIRED');
  t.equal((await stack.app.inject('/datasets/images/classification/new?username=Bob')).statusCode, 400, 'an invalid username is a 400');
});

t.test('a browser form with errors comes back with them beside the fields; JSON keeps DIGITS\' envelope', async (t) => {
  const stack = await startStack(t, { worker: false });
  const cookie = await login(stack.app, 'alice');
  const fields = { dataset_name: '', resize_width: 'wide', folder_train: '/nowhere' };
  const body = multipart(fields);
  const res = await stack.app.inject({ method: 'POST', url: '/datasets/images/classification', payload: body.payload, headers: { ...body.headers, cookie } });
  t.equal(res.statusCode, 400);
  t.match(res.body, /id="f-resize_width-error" role="alert">Not a valid integer value/);
  t.match(res.body, /id="f-dataset_name-error" role="alert">This field is required\./);
  t.equal(valueOf(res.body, 'resize_width'), 'wide', 'what was sent is shown again');
  const json = await stack.app.inject({ method: 'POST', url: '/datasets/images/classification.json', payload: body.payload, headers: { ...body.headers, cookie } });
  t.equal(json.statusCode, 400);
  t.same(json.json().errors.resize_width, ['Not a valid integer value']);
  t.equal((await stack.app.inject('/index.json')).json().datasets.length, 0, 'no job was created');
});

t.test('exploring a dataset whose build has not finished is a 409, not DIGITS\' 500', async (t) => {
  const stack = await startStack(t, { worker: false });
  const cookie = await login(stack.app, 'alice');
  await fs.mkdir(path.join(stack.dataDir, 'train', 'a'), { recursive: true });
  const body = multipart({ dataset_name: 'waiting', folder_train: path.join(stack.dataDir, 'train') });
  const created = await stack.app.inject({ method: 'POST', url: '/datasets/images/classification.json', payload: body.payload, headers: { ...body.headers, cookie } });
  t.equal(created.statusCode, 200, created.body);
  const id = (created.json() as { id: string }).id;
  for (const url of [`/datasets/images/classification/explore?job_id=${id}&db=train`, `/datasets/generic/explore?job_id=${id}&db=train_db`]) {
    const res = await stack.app.inject({ url, headers: { accept: 'application/json' } });
    t.equal(res.statusCode, 409, url);
    t.match(res.json(), { error: { code: 'DATASET_NOT_READY', description: /is Initialized: its DBs can be explored once it is Done/ } });
  }
});

t.test('CSRF: browser sessions must show the token; curl and explicit usernames need none', async (t) => {
  const stack = await startStack(t, { worker: false });
  const cookie = await login(stack.app, 'alice');
  const browser = { cookie, origin: 'http://127.0.0.1', 'sec-fetch-site': 'same-origin' };
  const create = (headers: Record<string, string>, fields: Record<string, string> = {}) => {
    const body = multipart({ model_name: 'm', dataset: '20990101-000000-0000', framework: 'tensorflow', ...fields });
    return stack.app.inject({ method: 'POST', url: '/models/images/classification.json', payload: body.payload, headers: { ...body.headers, ...headers } });
  };
  const forged = await create(browser);
  t.equal(forged.statusCode, 403, 'a cookie-borne browser post without the token is refused');
  t.equal(forged.json().error.code, 'CSRF_TOKEN_INVALID');
  t.equal((await create({ ...browser, 'sec-fetch-site': 'cross-site' }, { _csrf: 'forged' })).statusCode, 403, 'a wrong token too');

  // the token the page gives is tied to the session the page set
  const pageRes = await stack.app.inject({ url: '/models/images/classification/new', headers: { cookie } });
  const token = csrfOf(pageRes.body);
  t.ok(token, 'the page carries a token');
  const session = [pageRes.headers['set-cookie'] ?? []].flat().find((c) => c.startsWith('username='))?.split(';')[0] ?? cookie;
  const withToken = await create({ ...browser, cookie: session }, { _csrf: token! });
  t.equal(withToken.statusCode, 400, 'with the token the form is checked (the dataset does not exist)');
  t.same(Object.keys(withToken.json().errors), ['standard_networks'], 'a form error, not a CSRF refusal');
  const viaHeader = await create({ ...browser, cookie: session, 'x-csrf-token': token! });
  t.equal(viaHeader.statusCode, 400, 'the token may come as x-csrf-token (the pages\' fetch calls)');

  t.equal((await create({ cookie })).statusCode, 400, 'curl with a cookie jar (no Origin, no Sec-Fetch-Site) is not asked for a token');
  t.equal((await create({ origin: 'http://evil.example' }, { username: 'mallory' })).statusCode, 400, 'a form naming its own username acts as that user only, no token needed');

  const abort = await stack.app.inject({ method: 'DELETE', url: '/jobs/20990101-000000-0000', headers: browser });
  t.equal(abort.statusCode, 403, 'delete from a browser without the token is refused before anything else');
});

t.test('clone, summary and large_graph answer as DIGITS\' routes do', async (t) => {
  const stack = await startStack(t, { worker: false });
  const cookie = await login(stack.app, 'alice');
  const body = multipart({ dataset_name: 'first', folder_train: stack.dataDir, resize_width: '32', resize_height: '32' });
  const created = await stack.app.inject({ method: 'POST', url: '/datasets/images/classification.json', payload: body.payload, headers: { ...body.headers, cookie } });
  const { id } = created.json() as { id: string };
  const clone = await stack.app.inject({ url: `/clone/${id}`, headers: { cookie } });
  t.equal(clone.statusCode, 302);
  t.equal(clone.headers.location, `/datasets/images/classification/new?clone=${id}`);
  const form = await stack.app.inject({ url: clone.headers.location as string, headers: { cookie } });
  t.equal(valueOf(form.body, 'resize_width'), '32', 'the clone starts from the saved form');
  t.equal(valueOf(form.body, 'dataset_name'), 'first');
  t.equal((await stack.app.inject({ url: '/clone/20990101-000000-0000', headers: { cookie } })).statusCode, 404);

  const summary = await stack.app.inject(`/datasets/summary?job_id=${id}`);
  t.equal(summary.statusCode, 200);
  t.match(summary.body, /<table class="summary">/);
  t.notMatch(summary.body, /<html/, 'a snippet, not a page');
  t.equal((await stack.app.inject('/datasets/summary')).statusCode, 400);
  t.equal((await stack.app.inject({ url: '/datasets/summary', headers: { accept: 'application/json' } })).json().error.description, 'job_id is a required field');
  t.equal((await stack.app.inject('/models/images/classification/large_graph')).statusCode, 400);
  t.equal((await stack.app.inject(`/models/images/classification/large_graph?job_id=${id}`)).statusCode, 404, 'a dataset is no model');

  const home = await stack.app.inject({ url: '/', headers: { cookie } });
  t.match(home.body, new RegExp(`<tr data-job="${id}">`), 'the home page lists the dataset');
  t.match(home.body, /Logged in as <strong>alice<\/strong>/);
  t.match(home.body, /data-delete="\/datasets\//, 'its owner gets the delete button');
  const other = await stack.app.inject({ url: '/', headers: { cookie: await login(stack.app, 'bob') } });
  t.notMatch(other.body, /data-delete=/, 'others do not');
});

t.test('GET /jobs/events streams every job\'s row as it changes', async (t) => {
  const stack = await startStack(t, { worker: false });
  const base = await stack.app.listen({ port: 0, host: '127.0.0.1' });
  const cookie = await login(stack.app, 'alice');
  const controller = new AbortController();
  const res = await fetch(`${base}/jobs/events`, { signal: controller.signal });
  t.equal(res.headers.get('content-type'), 'text/event-stream; charset=utf-8');
  const reader = res.body!.getReader();
  const body = multipart({ dataset_name: 'live', folder_train: stack.dataDir });
  const created = (await stack.app.inject({ method: 'POST', url: '/datasets/images/classification.json', payload: body.payload, headers: { ...body.headers, cookie } })).json() as { id: string };
  // a rename is a change every listener hears about
  const rename = multipart({ job_name: 'renamed' });
  await stack.app.inject({ method: 'PUT', url: `/jobs/${created.id}`, payload: rename.payload, headers: { ...rename.headers, cookie } });
  let text = '';
  const decoder = new TextDecoder();
  while (!text.includes('"name":"renamed"')) {
    const { value, done } = await reader.read();
    if (done) break;
    text += decoder.decode(value, { stream: true });
  }
  controller.abort();
  const rows = [...text.matchAll(/event: job\ndata: (.*)\n/g)].map((m) => JSON.parse(m[1]!) as { id: string; name: string; status: string });
  t.ok(rows.some((r) => r.id === created.id && r.name === 'renamed' && r.status === 'Initialized'), 'the renamed row arrived');
});

/** The text of an HTML fragment: tags dropped, the few entities the templates write decoded. */
const textOf = (html: string) => html.replace(/<[^>]+>/g, ' ').replace(/&amp;/g, '&').replace(/&#39;/g, "'").replace(/&quot;/g, '"').replace(/&lt;/g, '<').replace(/&gt;/g, '>');
const titleOf = (html: string) => /<title>([^<]*)<\/title>/.exec(html)?.[1];
const h1Of = (html: string) => textOf(/<h1>([\s\S]*?)<\/h1>/.exec(html)?.[1] ?? '').replace(/\s+/g, ' ').trim();

t.test('what scripts scrape from DIGITS\' pages, over HTTP: titles, classify_one\'s list group, items per page', async (t) => {
  const stack = await startStack(t);
  // the run's LeNet on 100 MNIST digits per class (dataset "mnist", model "lenet")
  const { datasetId, modelId, mnistDir } = await importSharedLenet(stack);
  const base = await stack.app.listen({ port: 0, host: '127.0.0.1' });
  const cookie = await login(stack.app, 'alice');
  const get = async (url: string) => {
    const res = await fetch(`${base}${url}`, { headers: { cookie } });
    t.equal(res.status, 200, url);
    return res.text();
  };
  // the inference routes need no login
  const send = (url: string, fields: Record<string, string>, files: Parameters<typeof multipart>[1]) => {
    const body = multipart(fields, files);
    return fetch(`${base}${url}`, { method: 'POST', body: body.payload, headers: body.headers });
  };
  const post = async (url: string, fields: Record<string, string>, files: Parameters<typeof multipart>[1]) => {
    const res = await send(url, fields, files);
    t.equal(res.status, 200, url);
    return res.text();
  };

  await t.test('each page has the title DIGITS\' template gives it', async (t) => {
    const explore = `/datasets/images/classification/explore?job_id=${datasetId}&db=train`;
    const pages: [url: string, title: string, heading?: string][] = [
      ['/', 'DIGITS', 'Home'],
      ['/login', 'DIGITS', 'Login'],
      ['/datasets/images/classification/new', 'New Image Classification Dataset', 'New Image Classification Dataset'],
      ['/datasets/images/generic/new', 'New Image Dataset', 'New Image Dataset'],
      ['/datasets/generic/new/image-gradients', 'New Gradients Dataset', 'New Gradients Dataset'],
      ['/models/images/classification/new', 'New Image Classification Model', 'New Image Classification Model'],
      ['/models/images/generic/new', 'New Image Model', 'New Image Model'],
      ['/models/images/generic/new/image-gradients', 'New Gradients Model', 'New Gradients Model'],
      [`/datasets/${datasetId}`, 'mnist'],
      [`/models/${modelId}`, 'lenet'],
      [explore, 'mnist - Explorer', 'Exploring mnist (train) images'],
      [`/models/images/classification/large_graph?job_id=${modelId}`, 'lenet - Large graph'],
    ];
    for (const [url, title, heading] of pages) {
      const html = await get(url);
      t.equal(titleOf(html), title, `title of ${url}`);
      if (heading) t.equal(h1Of(html), heading, `heading of ${url}`);
    }
  });

  const testDir = path.join(mnistDir, 'test');
  const seven = path.join(testDir, '7', (await fs.readdir(path.join(testDir, '7')))[0]!);
  await t.test('classify_one lists the predictions as DIGITS\' list group', async (t) => {
    const image = { image_file: { filename: 'seven.png', data: await fs.readFile(seven) } };
    const html = await post(`/models/images/classification/classify_one?job_id=${modelId}`, {}, image);
    t.equal(titleOf(html), 'Classify One Image');
    const groups = [...html.matchAll(/<ul class="list-group[ "][^>]*>([\s\S]*?)<\/ul>/g)];
    t.equal(groups.length, 1, 'one list group on the page: `ul.list-group li` finds only the predictions');
    const items = [...groups[0]![1]!.matchAll(/<li class="list-group-item">([\s\S]*?)<\/li>/g)].map((m) => m[1]!);
    t.equal(items.length, 5, 'top 5');
    t.ok(items.every((item) => /^<span class="badge">[^<]+%<\/span>/.test(item)), 'each item starts with its badge');
    // DIGITS' tests read each item as `get_text().split()` → [confidence, label]
    const scraped = items.map((item) => textOf(item).split(/\s+/).filter(Boolean));
    const json = (await (await send(`/models/images/classification/classify_one.json?job_id=${modelId}`, {}, image)).json()) as { predictions: [string, number][] };
    // Python's str(round(100·score, 2)): "98.9", "100.0", "0.0" — never "98.90" or "100"
    const python = (pct: number) => (Number.isInteger(pct) ? pct.toFixed(1) : String(pct));
    t.same(scraped, json.predictions.map(([label, pct]) => [`${python(pct)}%`, label]), 'the same five, best first, as the JSON answer');
    t.equal(scraped[0]![1], '7', 'a 7 is read as a 7');
  });

  await t.test('classify_many and top_n carry their inference jobs\' names', async (t) => {
    const list = { image_list: { filename: 'list.txt', data: (await fs.readdir(path.join(testDir, '7'))).slice(0, 3).map((f) => `7/${f} 7`).join('\n') } };
    t.equal(titleOf(await post(`/models/images/classification/classify_many?job_id=${modelId}`, { image_folder: testDir }, list)), 'Classify Many Images');
    t.equal(titleOf(await post(`/models/images/classification/top_n?job_id=${modelId}`, { image_folder: testDir, top_n: '2' }, list)), 'TopN Image Classification');
  });

  await t.test('the explorer offers DIGITS\' items per page: 10, 25, 50, 100', async (t) => {
    const controlOf = (html: string) => {
      const block = /<p class="per-page">([\s\S]*?)<\/p>/.exec(html)?.[1] ?? '';
      return [...block.matchAll(/<a href="([^"]+)"([^>]*)>(\d+)<\/a>/g)].map((m) => ({ url: new URL(m[1]!.replace(/&amp;/g, '&'), base), active: /class="active"/.test(m[2]!), size: m[3]! }));
    };
    const entries = (html: string) => [...html.matchAll(/<img src="data:[^"]+" alt="Entry /g)].length;
    const first = await get(`/datasets/images/classification/explore?job_id=${datasetId}&db=train&size=10&page=2&label=3`);
    t.match(first, /Items per page:/);
    const links = controlOf(first);
    t.same(links.map((l) => l.size), ['10', '25', '50', '100']);
    t.same(links.filter((l) => l.active).map((l) => l.size), ['10'], 'the size shown is marked active');
    for (const link of links) {
      t.same(Object.fromEntries(link.url.searchParams), { job_id: datasetId, db: 'train', page: '0', size: link.size, label: '3' }, `${link.size}: same db and class, back to page 0`);
    }
    t.equal(entries(first), 10);
    const fifty = await get(links[2]!.url.pathname + links[2]!.url.search);
    t.equal(entries(fifty), 50, 'following "50" shows 50 entries of the class');
    t.same(controlOf(fifty).filter((l) => l.active).map((l) => l.size), ['50']);
    t.match(fifty, /of class <strong>3<\/strong>/);
  });
});
