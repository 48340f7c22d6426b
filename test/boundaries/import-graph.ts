/**
 * The module boundaries of STYLE.md §2 as a check over the import graph: every .ts under
 * apps/<name>/src and packages/<name>/src of a root folder, its imports (type-only and inline
 * `import('…')` types too) resolved to a workspace, an npm package or a node builtin, and held
 * against one table. A function over a root folder, so the test runs it on the repository and on
 * a fixture tree with deliberate slips. Regexes over import/export-from lines, not a parser: the
 * statements are anchored at the start of a line, so comments and strings do not count.
 */
import fs from 'node:fs';
import { builtinModules } from 'node:module';
import path from 'node:path';

interface WorkspaceRule {
  /** Workspaces it may import, by folder name. */
  internal: readonly string[];
  /** The only npm packages it may import; absent: any but `forbidden`. */
  external?: readonly string[];
  /** npm packages it keeps out; a name ending in `/` is a scope or prefix. */
  forbidden?: readonly string[];
  /** Whether it may import node builtins (contracts: no I/O, no process state). */
  node: boolean;
}

const PACKAGES = ['contracts', 'caffe', 'config', 'logger', 'queue', 'imaging', 'dataset', 'ml'];

/** STYLE.md §2, plus `caffe` (network definition texts) and the CLI (a REST client). */
export const BOUNDARIES: Readonly<Record<string, WorkspaceRule>> = {
  contracts: { internal: [], external: ['typebox'], node: false },
  caffe: { internal: ['contracts'], external: [], node: false },
  config: { internal: ['contracts'], node: true },
  logger: { internal: [], external: ['pino'], node: true },
  queue: { internal: ['contracts', 'logger'], forbidden: ['sharp', 'lmdb', '@tensorflow/', 'fastify', '@fastify/'], node: true },
  imaging: { internal: ['contracts'], forbidden: ['lmdb', 'bullmq', '@tensorflow/'], node: true },
  dataset: { internal: ['contracts'], forbidden: ['sharp', 'bullmq', '@tensorflow/'], node: true },
  ml: { internal: ['contracts', 'dataset', 'caffe'], forbidden: ['sharp', 'bullmq', 'fastify', '@fastify/'], node: true },
  // the gateway never decodes images or trains
  gateway: { internal: ['contracts', 'config', 'logger', 'queue', 'caffe'], forbidden: ['sharp', 'lmdb', '@tensorflow/'], node: true },
  worker: { internal: PACKAGES, node: true },
  cli: { internal: ['contracts'], node: true },
};

/** The folder whose files may not import one another (each route file stands alone). */
const ROUTES = 'apps/gateway/src/routes/';

export type Rule = 'workspace' | 'node' | 'external' | 'deep' | 'routes' | 'package-json';

export interface Violation {
  rule: Rule;
  /** The importing file (or package.json), relative to the root, with `/`. */
  file: string;
  message: string;
}

interface Workspace { name: string; dir: string; kind: 'apps' | 'packages'; packageName: string; dependencies: Record<string, string> }

function workspacesOf(root: string): Workspace[] {
  const found: Workspace[] = [];
  for (const kind of ['apps', 'packages'] as const) {
    const parent = path.join(root, kind);
    if (!fs.existsSync(parent)) continue;
    for (const name of fs.readdirSync(parent).sort()) {
      const manifest = path.join(parent, name, 'package.json');
      if (!fs.existsSync(manifest)) continue;
      const json = JSON.parse(fs.readFileSync(manifest, 'utf8')) as { name: string; dependencies?: Record<string, string> };
      found.push({ name, dir: `${kind}/${name}`, kind, packageName: json.name, dependencies: json.dependencies ?? {} });
    }
  }
  return found;
}

const IMPORT = /^[ \t]*import\s[^;]*?\bfrom\s*['"]([^'"]+)['"]/gm;
const EXPORT_FROM = /^[ \t]*export\s+(?:type\s+)?(?:\*|\{)[^;]*?\bfrom\s*['"]([^'"]+)['"]/gm;
const SIDE_EFFECT = /^[ \t]*import\s*['"]([^'"]+)['"]/gm;
const DYNAMIC = /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g;

/** Every module specifier `text` imports, with its line. */
export function importsOf(text: string): { specifier: string; line: number }[] {
  const out: { specifier: string; line: number }[] = [];
  for (const pattern of [IMPORT, EXPORT_FROM, SIDE_EFFECT, DYNAMIC]) {
    for (const match of text.matchAll(pattern)) {
      const at = match.index + match[0].lastIndexOf(match[1]!);
      out.push({ specifier: match[1]!, line: text.slice(0, at).split('\n').length });
    }
  }
  return out.sort((a, b) => a.line - b.line);
}

/** `@scope/name/sub` → `@scope/name`; `name/sub` → `name`. */
const packageNameOf = (specifier: string) => specifier.split('/').slice(0, specifier.startsWith('@') ? 2 : 1).join('/');

const isBuiltin = (specifier: string) => specifier.startsWith('node:') || builtinModules.includes(packageNameOf(specifier));

const matches = (name: string, patterns: readonly string[]) => patterns.some((p) => (p.endsWith('/') ? name.startsWith(p) : name === p));

function sourceFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return (fs.readdirSync(dir, { recursive: true }) as string[]).filter((f) => f.endsWith('.ts')).map((f) => path.join(dir, f)).sort();
}

/** Checks every workspace under `root` against {@link BOUNDARIES}; [] when all hold. */
export function checkBoundaries(root: string): Violation[] {
  const workspaces = workspacesOf(root);
  const byPackage = new Map(workspaces.map((w) => [w.packageName, w]));
  const violations: Violation[] = [];
  for (const ws of workspaces) {
    const rule = BOUNDARIES[ws.name];
    const manifest = `${ws.dir}/package.json`;
    if (!rule) {
      violations.push({ rule: 'workspace', file: manifest, message: `no boundary rule for workspace ${ws.name}: add it to the table` });
      continue;
    }
    const imported = new Set<string>();
    for (const file of sourceFiles(path.join(root, ws.dir, 'src'))) {
      const rel = path.relative(root, file).split(path.sep).join('/');
      const report = (kind: Rule, line: number, message: string) => violations.push({ rule: kind, file: `${rel}:${line}`, message });
      for (const { specifier, line } of importsOf(fs.readFileSync(file, 'utf8'))) {
        let target: Workspace | undefined;
        if (specifier.startsWith('.')) {
          const resolved = path.relative(root, path.resolve(path.dirname(file), specifier)).split(path.sep).join('/');
          if (rel.startsWith(ROUTES) && resolved.startsWith(ROUTES)) report('routes', line, `route file imports another route file (${specifier})`);
          target = workspaces.find((w) => resolved.startsWith(`${w.dir}/`));
          if (!target) {
            report('deep', line, `imports ${specifier}, outside every workspace`);
            continue;
          }
          if (target === ws) continue;
          report('deep', line, `imports ${specifier} by path; import ${target.packageName}`);
        } else if (isBuiltin(specifier)) {
          if (!rule.node) report('node', line, `imports ${specifier}, but ${ws.name} keeps out node builtins`);
          continue;
        } else {
          const name = packageNameOf(specifier);
          target = byPackage.get(name);
          if (!target) {
            if (name.startsWith('@digits-ts/')) report('workspace', line, `imports ${name}, which is no workspace`);
            else if ((rule.external && !rule.external.includes(name)) || matches(name, rule.forbidden ?? [])) report('external', line, `imports ${name}, which ${ws.name} keeps out`);
            else if (!(name in ws.dependencies)) report('package-json', line, `imports ${name}, which ${manifest} does not declare`);
            continue;
          }
          if (specifier !== name) report('deep', line, `imports ${specifier}; import ${name} (its one public entry)`);
        }
        imported.add(target.packageName);
        if (target.kind === 'apps') report('workspace', line, `imports ${target.packageName}: ${ws.kind === 'apps' ? 'apps never import each other' : 'packages never import apps'}`);
        else if (!rule.internal.includes(target.name)) report('workspace', line, `imports ${target.packageName}, which ${ws.name} may not (it may import ${rule.internal.join(', ') || 'no workspace'})`);
      }
    }
    // package.json agrees with the imports, so npm installs what the code reaches
    for (const name of [...imported].sort()) {
      if (!(name in ws.dependencies)) violations.push({ rule: 'package-json', file: manifest, message: `imports ${name} but does not declare it` });
    }
    for (const name of Object.keys(ws.dependencies).filter((d) => byPackage.has(d) && !imported.has(d)).sort()) {
      violations.push({ rule: 'package-json', file: manifest, message: `declares ${name} but never imports it` });
    }
  }
  return violations;
}
