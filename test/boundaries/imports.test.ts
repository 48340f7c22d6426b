// STYLE.md §2 module boundaries over the import graph: the repository keeps them, and the checker
// finds exactly the slips planted in test/fixtures/boundaries/ (so it cannot pass by finding nothing).
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { checkBoundaries, importsOf, type Violation } from './import-graph.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(here, '../..');
const FIXTURE = path.join(here, '../fixtures/boundaries');

const lines = (found: Violation[]) => found.map((v) => `${v.rule} ${v.file}: ${v.message}`);

t.test('the repository keeps the boundaries', async (t) => {
  const found = checkBoundaries(ROOT);
  t.same(lines(found.filter((v) => v.file.startsWith('packages/contracts/'))), [], 'contracts imports typebox only (no node:fs)');
  t.same(lines(found.filter((v) => v.rule !== 'routes')), [], 'each workspace imports only what the table allows, and declares it');
  t.same(lines(found.filter((v) => v.rule === 'routes')), [], 'no route file imports another route file');
});

t.test('the planted slips are found, and only they', async (t) => {
  t.same(lines(checkBoundaries(FIXTURE)), [
    'workspace apps/gateway/src/app.ts:10: imports @digits-ts/ml, which gateway may not (it may import contracts, config, logger, queue, caffe)',
    'routes apps/gateway/src/routes/models.ts:2: route file imports another route file (./jobs.ts)',
    'node packages/contracts/src/index.ts:2: imports node:fs, but contracts keeps out node builtins',
    'package-json packages/ml/package.json: imports @digits-ts/contracts but does not declare it',
  ]);
});

t.test('importsOf reads every import form, and no comment or string', async (t) => {
  const source = [
    "import fs from 'node:fs';",
    "import type { A } from '@digits-ts/contracts';",
    'import {',
    '  b,',
    "} from './b.ts';",
    "export * from './c.ts';",
    "export { d } from '@digits-ts/config';",
    "import 'side-effect';",
    "type E = import('fastify').FastifyReply;",
    "const f = await import('webgpu');",
    "// import g from 'commented';",
    " * import h from 'in-a-doc-comment';",
    "const i = \"import j from 'in-a-string'\";",
  ].join('\n');
  t.same(importsOf(source), [
    { specifier: 'node:fs', line: 1 },
    { specifier: '@digits-ts/contracts', line: 2 },
    { specifier: './b.ts', line: 5 },
    { specifier: './c.ts', line: 6 },
    { specifier: '@digits-ts/config', line: 7 },
    { specifier: 'side-effect', line: 8 },
    { specifier: 'fastify', line: 9 },
    { specifier: 'webgpu', line: 10 },
  ]);
});
