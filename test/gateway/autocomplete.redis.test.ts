// GET /autocomplete/path (§5.6, the contract's safe form): a logged-in user, literal prefixes,
// answers only from inside DATA_ROOTS (symlinks resolved), nothing said about what lies outside.
import fs from 'node:fs/promises';
import path from 'node:path';
import t from 'tap';
import { MAX_SUGGESTIONS } from '../../apps/gateway/src/routes/autocomplete.ts';
import { login, startStack } from '../helpers/stack.ts';

t.test('autocomplete/path inside DATA_ROOTS', async (t) => {
  const stack = await startStack(t, { worker: false });
  const data = stack.dataDir;
  const outside = path.join(path.dirname(data), 'outside');
  await fs.mkdir(path.join(outside, 'secret-dir'), { recursive: true });
  await fs.writeFile(path.join(outside, 'secret.txt'), 'x');
  for (const dir of ['mnist/train', 'mnist-test', 'many', 'sub']) await fs.mkdir(path.join(data, dir), { recursive: true });
  for (const file of ['mnist.tar.gz', '.hidden', 'a*b', 'axb', 'b.png']) await fs.writeFile(path.join(data, file), 'x');
  for (let i = 0; i < MAX_SUGGESTIONS + 30; i++) await fs.writeFile(path.join(data, 'many', `f${String(i).padStart(3, '0')}.png`), 'x');
  await fs.symlink(path.join(data, 'mnist'), path.join(data, 'link-in'));
  await fs.symlink(outside, path.join(data, 'link-out'));
  await fs.symlink(path.join(outside, 'secret.txt'), path.join(data, 'link-out-file'));
  await fs.symlink(path.join(data, 'gone'), path.join(data, 'link-dangling'));

  const cookie = await login(stack.app, 'alice');
  const ask = async (query: string) => {
    const res = await stack.app.inject({ url: `/autocomplete/path?query=${encodeURIComponent(query)}`, headers: { cookie } });
    t.equal(res.statusCode, 200, `${JSON.stringify(query)}: ${res.body.slice(0, 200)}`);
    return (res.json() as { suggestions: string[] }).suggestions;
  };
  const inData = (...names: string[]) => names.map((n) => path.join(data, n));

  await t.test('login required, as the contract\'s safe form says', async (t) => {
    const json = { accept: 'application/json' };
    const anonymous = await stack.app.inject({ url: `/autocomplete/path?query=${encodeURIComponent(`${data}/`)}`, headers: json });
    t.equal(anonymous.statusCode, 401);
    t.match(anonymous.json(), { error: { type: 'Unauthorized', code: 'LOGIN_REQUIRED' } });
    const invalid = await stack.app.inject({ url: `/autocomplete/path?username=Bob&query=${encodeURIComponent(`${data}/`)}`, headers: json });
    t.match(invalid.json(), { error: { code: 'INVALID_USERNAME' } });
    const page = await stack.app.inject(`/autocomplete/path?query=${encodeURIComponent(`${data}/`)}`);
    t.equal(page.statusCode, 401, 'a browser\'s request gets the error page, as on every route');
    const byArg = await stack.app.inject(`/autocomplete/path?username=bob&query=${encodeURIComponent(`${data}/mni`)}`);
    t.same(byArg.json(), { suggestions: inData('mnist', 'mnist-test', 'mnist.tar.gz') }, 'the username arg logs in, as on DIGITS\' other routes');
  });

  await t.test('prefixes, children, sorting, dot-files', async (t) => {
    t.same(await ask(`${data}/mni`), inData('mnist', 'mnist-test', 'mnist.tar.gz'), 'sorted by string, no trailing slash');
    t.same(await ask(`${data}/`), inData('a*b', 'axb', 'b.png', 'link-in', 'many', 'mnist', 'mnist-test', 'mnist.tar.gz', 'sub'), 'a folder\'s children, dot-files and links out left out');
    t.same(await ask(`${data}/.`), inData('.hidden'), 'dot-files when the last component starts with a dot');
    t.same(await ask(`${data}/mnist/`), inData('mnist/train'));
    t.same(await ask(`${data}/link-in/`), inData('link-in/train'), 'a link inside the roots is followed, its path kept as typed');
    t.same(await ask(`${data}//sub/../mnist/./t`), inData('mnist/train'), '`.`, `..` and doubled slashes normalised');
    t.same(await ask(`${data}/a*`), inData('a*b'), 'a literal prefix: `*` is no wildcard');
    t.same(await ask(`${data}/a?b`), [], '`?` neither');
    t.same(await ask(`${data}/nothing/`), [], 'a parent that does not exist');
    t.same(await ask(`${data}/b.png/`), [], 'a file is no folder');
    t.same(await ask(path.relative('/', `${data}/mni`)), inData('mnist', 'mnist-test', 'mnist.tar.gz'), 'a relative query gets `/` prepended');
    t.same(await ask(data), [data], 'the root itself completes');
    t.same(await ask(data.slice(0, -2)), [data], 'and is offered while the query is a prefix of it');
  });

  await t.test('nothing outside the roots: escapes, links out, other folders', async (t) => {
    t.same(await ask(`${data}/link-out/`), [], 'a link to a folder outside lists nothing');
    t.same(await ask(`${data}/link-out/secret`), []);
    t.same(await ask(`${data}/link-`), inData('link-in'), 'links leading outside (or nowhere) are not offered');
    t.same(await ask(`${data}/../outside/`), [], '`..` out of the root');
    t.same(await ask(`${data}/mnist/../../outside/sec`), []);
    t.same(await ask(`${data}/../`), [data], 'the root\'s parent: only the root itself, none of its siblings');
    t.same(await ask(`${outside}/`), [], 'an existing folder outside');
    t.same(await ask(`${outside}/secret`), [], 'an existing file outside answers as…');
    t.same(await ask(`${outside}/nothing`), [], '…one that does not exist');
    t.same(await ask('/etc/pass'), []);
    t.same(await ask('/'), [data], 'the top: only the root');
    t.same(await ask(''), [data], 'an empty query is `/`');
    t.same(await ask(`${data}/\0`), [], 'a NUL byte');
  });

  await t.test('the count is capped', async (t) => {
    const many = await ask(`${data}/many/`);
    t.equal(many.length, MAX_SUGGESTIONS);
    t.same(many, Array.from({ length: MAX_SUGGESTIONS }, (_, i) => path.join(data, 'many', `f${String(i).padStart(3, '0')}.png`)), 'the first ones in order');
  });
});

t.test('autocomplete/path with DATA_ROOTS empty answers nothing', async (t) => {
  const stack = await startStack(t, { worker: false, env: { DATA_ROOTS: '' } });
  const res = await stack.app.inject(`/autocomplete/path?username=alice&query=${encodeURIComponent(`${stack.dataDir}/`)}`);
  t.same(res.json(), { suggestions: [] });
});
