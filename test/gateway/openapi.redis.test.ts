// /openapi.json documents every registered route from the schema it declares beside its handler
// (forms from the FormSpecs the handlers parse with, answers from TypeBox types),
// /docs serves the browsable page, and documenting changes no answer.
import t from 'tap';
import { login, multipart, startStack } from '../helpers/stack.ts';

/** Fastify's `:id` / `*` as OpenAPI path templates. */
const openApiPath = (url: string) => url.replace(/:([A-Za-z_]+)/g, '{$1}').replace(/\*$/, '{*}');

t.test('OpenAPI covers every route', async (t) => {
  const stack = await startStack(t, { worker: false });
  const res = await stack.app.inject('/openapi.json');
  t.equal(res.statusCode, 200);
  const spec = res.json() as { openapi: string; paths: Record<string, Record<string, { summary?: string; requestBody?: { content: Record<string, { schema: { properties: Record<string, unknown> } }> } }>> };
  t.match(spec.openapi, /^3\./);
  const routes = stack.app.routeTable.filter((r) => !r.url.startsWith('/docs') && r.url !== '/openapi.json');
  t.ok(routes.length >= 50, `${routes.length} routes`);
  for (const route of routes) {
    const path = spec.paths[openApiPath(route.url)];
    for (const method of route.methods.filter((m) => m !== 'HEAD')) t.ok(path?.[method.toLowerCase()]?.summary, `${method} ${route.url} is in /openapi.json with a summary`);
  }
  // forms come from the parsers' own specs
  const create = spec.paths['/models/images/classification.json']!.post!.requestBody!.content['multipart/form-data']!.schema.properties;
  for (const field of ['model_name', 'dataset', 'standard_networks', 'custom_network', 'learning_rate', 'lr_policy', 'aug_flip']) t.ok(field in create, `model form documents ${field}`);
  t.ok('image_file' in spec.paths['/models/images/generic/infer_one']!.post!.requestBody!.content['multipart/form-data']!.schema.properties, 'uploads are documented');
  const docs = await stack.app.inject('/docs/');
  t.equal(docs.statusCode, 200);
  t.match(docs.body, /swagger-ui/i);

  // documentation only: DIGITS' own form errors and answers are unchanged
  const cookie = await login(stack.app, 'alice');
  const body = multipart({ model_name: '', dataset: 'nope', framework: 'tensorflow', method: 'standard', standard_networks: 'lenet' });
  const bad = await stack.app.inject({ method: 'POST', url: '/models/images/classification.json', payload: body.payload, headers: { ...body.headers, cookie } });
  t.equal(bad.statusCode, 400);
  t.match(bad.json(), { errors: { model_name: ['This field is required.'] } });
  t.same(Object.keys((await stack.app.inject('/workers.json')).json()), ['workers']);
});

// a newcomer opening /docs meets the REST API first: the HTML pages' tag and paths come last
t.test('/docs lists the REST API before the HTML page routes', async (t) => {
  const stack = await startStack(t, { worker: false });
  const spec = (await stack.app.inject('/openapi.json')).json() as { tags: { name: string }[]; paths: Record<string, Record<string, { tags?: string[] }>> };
  const tags = spec.tags.map((tag) => tag.name);
  t.same(tags.slice(0, 3), ['datasets', 'models', 'inference'], 'the tag list opens with the REST API');
  t.equal(tags.at(-1), 'pages', 'the pages tag closes it');
  const pageOnly = Object.values(spec.paths).map((item) => Object.values(item).every((op) => op.tags?.[0] === 'pages'));
  const firstPage = pageOnly.indexOf(true);
  t.ok(firstPage > 0, 'REST paths come first');
  t.notOk(pageOnly.slice(firstPage).includes(false), 'no REST path after the first page path');
  t.same(Object.values(Object.values(spec.paths)[0]!)[0]!.tags, ['datasets'], 'the first path documented is a dataset route');
  const ui = await stack.app.inject('/docs/static/swagger-initializer.js');
  t.equal(ui.statusCode, 200);
  t.notMatch(ui.body, /tagsSorter|operationsSorter/, 'the UI keeps the spec\'s order');
});
