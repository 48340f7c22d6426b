// The README stands alone in a clone: every relative link and every repository path it names
// resolves to a file of this repository, no link or path leaves it (`../…`), in-page anchors
// name a heading, and it points to DIGITS' own REST documentation and the served `/docs`.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const README = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');

/** The markdown without its fenced code blocks (their text is shell, not links). */
function prose(markdown: string): string {
  return markdown.replace(/^```[^\n]*\n[\s\S]*?^```\s*$/gm, '');
}

/** Targets of inline links `[text](target)` and reference definitions `[x]: target`. */
export function linkTargets(markdown: string): string[] {
  const text = prose(markdown);
  const inline = [...text.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)].map((m) => m[1]!);
  const refs = [...text.matchAll(/^\s*\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)/gm)].map((m) => m[1]!);
  return [...inline, ...refs];
}

/** Code spans of the prose that name a file path (`apps/x`, `../y/z`), globs left out. */
export function pathSpans(markdown: string): string[] {
  return [...prose(markdown).matchAll(/`([^`\s]+)`/g)]
    .map((m) => m[1]!)
    .filter((span) => /^(\.\.?\/)*[\w.-]+\/[\w./-]*$/.test(span) && /[\w-]/.test(span) && !span.includes('*') && !/^[a-z]+:\/\//i.test(span));
}

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces as dashes. */
export function slug(heading: string): string {
  return heading.trim().toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, '').replace(/\s/g, '-');
}

const isExternal = (target: string) => /^[a-z][a-z0-9+.-]*:/i.test(target);
const leavesRepo = (target: string) => path.relative(ROOT, path.resolve(ROOT, target)).startsWith('..');
/** The repository's own top-level folders and files (hidden ones such as `.data` and `.tap` are run-time output). */
const REPO_TOP = new Set(fs.readdirSync(ROOT).filter((name) => !name.startsWith('.') && name !== 'node_modules'));

t.test('every relative link of the README resolves inside the repository', async (t) => {
  const targets = linkTargets(README);
  t.ok(targets.length > 0, 'the README has links');
  const anchors = new Set([...prose(README).matchAll(/^#{1,6}\s+(.+)$/gm)].map((m) => slug(m[1]!)));
  for (const target of targets.filter((x) => !isExternal(x))) {
    const [file, anchor] = target.split('#') as [string, string | undefined];
    if (file === '') {
      t.ok(anchors.has(anchor ?? ''), `#${anchor} names a heading of the README`);
      continue;
    }
    t.notOk(leavesRepo(file), `${target} stays inside the repository`);
    t.ok(fs.existsSync(path.resolve(ROOT, file)), `${target} is a file of the repository`);
  }
});

t.test('every repository path the README names exists, and none leaves the repository', async (t) => {
  const spans = pathSpans(README);
  t.ok(spans.some((s) => s.startsWith('apps/')), 'the README names the apps by their folders');
  for (const span of spans) {
    t.notOk(leavesRepo(span), `\`${span}\` stays inside the repository`);
    // `JOBS_DIR/<id>/…` and the like are run-time paths, not repository files
    if (REPO_TOP.has(span.split('/')[0]!)) t.ok(fs.existsSync(path.join(ROOT, span)), `\`${span}\` exists`);
  }
});

t.test("the README points to DIGITS' REST documentation and the served /docs", async (t) => {
  const first = linkTargets(README).find(isExternal);
  t.equal(first, 'https://github.com/NVIDIA/DIGITS', 'the first link is DIGITS itself');
  t.ok(linkTargets(README).includes('https://github.com/NVIDIA/DIGITS/blob/master/docs/API.md'), "DIGITS' own REST API documentation is linked");
  const intro = README.slice(0, README.indexOf('\n## '));
  t.match(intro, /\/docs/, 'the introduction names the served /docs');
});

t.test('the checks catch what they are for', async (t) => {
  const md = [
    '# Top', 'See [spec](../shared/spec/x.md), [here](#top), [web](https://x.org), `../` and `../shared/a/b.md`.',
    '```sh', 'cat [not](a-link.md) `not/a-span`', '```', '[ref]: docs/y.md', '## GPUs: the webgpu engine',
  ].join('\n');
  t.same(linkTargets(md), ['../shared/spec/x.md', '#top', 'https://x.org', 'docs/y.md']);
  t.same(pathSpans(md), ['../shared/a/b.md']);
  t.ok(leavesRepo('../shared/spec/x.md'));
  t.notOk(leavesRepo('apps/cli'));
  t.equal(slug('GPUs: the webgpu engine'), 'gpus-the-webgpu-engine');
});
