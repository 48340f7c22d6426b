// The README's "## Environment" table must list exactly the variables of ALL_VARS with their defaults.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { ALL_VARS } from '@digits-ts/config';

const README = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../README.md');

interface Row { name: string; defaultCell: string; doc: string }

/** The rows of the first table under "## Environment" (up to the next "## " heading). */
function envTable(markdown: string): Row[] {
  const lines = markdown.split(/\r?\n/);
  const start = lines.findIndex((l) => /^##\s+Environment\s*$/.test(l));
  if (start < 0) throw new Error('README.md has no "## Environment" section');
  const rest = lines.slice(start + 1);
  const end = rest.findIndex((l) => /^##\s/.test(l));
  const section = end < 0 ? rest : rest.slice(0, end);
  const rows: Row[] = [];
  for (const line of section) {
    const match = /^\|\s*`([^`]+)`\s*\|(.*)\|(.*)\|\s*$/.exec(line);
    if (!match) continue;
    rows.push({ name: match[1]!, defaultCell: match[2]!.trim(), doc: match[3]!.trim() });
  }
  return rows;
}

/** How the table writes a default: `value` in backticks, or (empty). */
const cellFor = (defaultText: string) => (defaultText === '' ? '(empty)' : `\`${defaultText}\``);

t.test('README env table matches the config schemas', async (t) => {
  const rows = envTable(fs.readFileSync(README, 'utf8'));
  t.ok(rows.length > 0, 'the table has rows');
  const names = rows.map((r) => r.name);
  t.equal(new Set(names).size, names.length, 'no variable listed twice');
  t.same([...names].sort(), Object.keys(ALL_VARS).sort(), 'same set of names as ALL_VARS');
  const vars = ALL_VARS as Record<string, { defaultText: string; doc: string }>;
  for (const row of rows) {
    const def = vars[row.name];
    if (!def) continue; // reported by the set comparison above
    t.equal(row.defaultCell, cellFor(def.defaultText), `${row.name} default`);
    t.equal(row.doc, def.doc, `${row.name} doc`);
  }
});

t.test('the table parser', async (t) => {
  const md = ['# X', '## Environment', 'text', '| Variable | Default | Meaning |', '| --- | --- | --- |',
    '| `A_B` | `1` | doc a |', '| `C` | (empty) | doc c |', '## Next', '| `D` | `x` | not env |'].join('\n');
  t.same(envTable(md), [{ name: 'A_B', defaultCell: '`1`', doc: 'doc a' }, { name: 'C', defaultCell: '(empty)', doc: 'doc c' }]);
  t.throws(() => envTable('# nothing'), /no "## Environment" section/);
  t.equal(cellFor(''), '(empty)');
  t.equal(cellFor('info'), '`info`');
});
