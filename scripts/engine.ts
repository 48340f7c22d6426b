/**
 * `npm run engine -- tensorflow [--gpu] [--dir <folder>] [--python <python3>] [--nodedir <node prefix>]`
 *
 * Installs TF.js' native TensorFlow engine, which `@tensorflow/tfjs-node(-gpu)` can no longer install
 * itself: its install script downloads libtensorflow 2.9.1 from a URL that answers 403 since 2026-08.
 * Instead:
 *   1. the TensorFlow C API from PyPI's wheel (`tensorflow-cpu`, or `tensorflow` and its `and-cuda`
 *      extra with --gpu) goes into <folder> with `pip install --target` (default .engines/tensorflow);
 *   2. `@tensorflow/tfjs-node(-gpu)`, at packages/ml's tfjs-core version, goes into node_modules with
 *      `npm install --no-save --ignore-scripts` (so its download never runs; a later `npm ci` removes it);
 *   3. its addon is built from the package's own sources against the wheel, with the wheel's library
 *      folders in the addon's rpath (the worker needs no LD_LIBRARY_PATH), and kept in <folder>/addons
 *      so that after an `npm ci` step 3 is a copy.
 * Each step is skipped when already done; a run with nothing to do says so. Exit status: 0 done,
 * 3 this machine cannot get the engine (no python3 with pip, the wheel not installable, no g++/make,
 * no Node headers), 2 bad arguments, 1 anything else.
 */
import { spawnSync, type SpawnSyncOptions } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';

/** The TensorFlow release whose wheel we build against; its C API is what tfjs-node 4.22 calls. */
const TENSORFLOW_VERSION = '2.21.0';
const ROOT = path.resolve(import.meta.dirname, '..');
const USAGE = 'usage: npm run engine -- tensorflow [--gpu] [--dir <folder>] [--python <python3>] [--nodedir <node prefix>]';

/** This machine lacks something the engine needs (exit status 3): CI goes on without the engine. */
class Unavailable extends Error {}

function usage(message: string): never {
  process.stderr.write(`${message}\n${USAGE}\n`);
  process.exit(2);
}

const parsed = (() => {
  try {
    return parseArgs({ allowPositionals: true, options: {
      gpu: { type: 'boolean', default: false },
      dir: { type: 'string' },
      python: { type: 'string' },
      nodedir: { type: 'string' },
    } });
  } catch (err) {
    return usage((err as Error).message);
  }
})();
if (parsed.positionals.length !== 1 || parsed.positionals[0] !== 'tensorflow') {
  usage(`Expected one engine, tensorflow, but received ${parsed.positionals.join(' ') || 'none'}`);
}
const gpu = parsed.values.gpu;

interface Variant {
  /** The wheel and, for the GPU, its extra whose wheels (CUDA, cuDNN) it loads. */
  wheel: string;
  extra?: string;
  npm: string;
  defaultDir: string;
}
const variant: Variant = gpu
  ? { wheel: 'tensorflow', extra: 'and-cuda', npm: '@tensorflow/tfjs-node-gpu', defaultDir: '.engines/tensorflow-gpu' }
  : { wheel: 'tensorflow-cpu', npm: '@tensorflow/tfjs-node', defaultDir: '.engines/tensorflow' };
// npm runs scripts in the project root; INIT_CWD is where the command was typed
const engineDir = path.resolve(process.env.INIT_CWD ?? process.cwd(), parsed.values.dir ?? path.join(ROOT, variant.defaultDir));
const siteDir = path.join(engineDir, 'site');
const stampFile = path.join(engineDir, 'engine.json');
const tfjsVersion = (JSON.parse(fs.readFileSync(path.join(ROOT, 'packages/ml/package.json'), 'utf8')) as { dependencies: Record<string, string> }).dependencies['@tensorflow/tfjs-core']!;
const packageDir = path.join(ROOT, 'node_modules', variant.npm);

/** What step 1 leaves in <folder>/engine.json. */
interface WheelStamp {
  wheel: string;
  tensorflow: string;
}
/** What the addon was built against, beside it (digits-engine.json). */
interface Stamp extends WheelStamp {
  /** Folders with the shared libraries the addon loads: its rpath. */
  libDirs: string[];
}

const started = performance.now();
const say = (line: string) => process.stdout.write(`engine: ${line}\n`);
const seconds = (since: number) => `${((performance.now() - since) / 1000).toFixed(1)} s`;

/** Runs a command, capturing its output; returns null when it could not start (not installed). */
function run(command: string, args: readonly string[], options: SpawnSyncOptions = {}) {
  const result = spawnSync(command, args, { encoding: 'utf8', maxBuffer: 64 << 20, ...options });
  if (result.error && (result.error as NodeJS.ErrnoException).code === 'ENOENT') return null;
  return { status: result.status, out: `${String(result.stdout ?? '')}${String(result.stderr ?? '')}` };
}
const tail = (text: string, lines = 15) => text.trimEnd().split('\n').slice(-lines).join('\n');
const readJson = <T>(file: string): T | null => { try { return JSON.parse(fs.readFileSync(file, 'utf8')) as T; } catch { return null; } };
const sameStamp = (a: Stamp | null, b: Stamp | null) => !!a && !!b && JSON.stringify(a) === JSON.stringify(b);

/** A Python with pip: --python or $PYTHON when given, else python3 on PATH, then Debian's. */
function findPython(): string {
  const chosen = parsed.values.python ?? process.env.PYTHON;
  const candidates = chosen ? [chosen] : ['python3', '/usr/bin/python3'];
  for (const python of candidates) {
    if (run(python, ['-m', 'pip', '--version'])?.status === 0) return python;
  }
  throw new Unavailable(`no python3 with pip (tried ${candidates.join(', ')}): install it (Debian: apt-get install python3-pip) or pass --python`);
}

/** The wheel's `Requires-Dist` lines for `extra` (e.g. the nvidia-*-cu12 wheels of and-cuda). */
function extraRequirements(site: string, extra: string): string[] {
  const info = fs.readdirSync(site).find((f) => f.startsWith(`${variant.wheel}-`) && f.endsWith('.dist-info'));
  if (!info) throw new Error(`pip installed ${variant.wheel} but left no ${variant.wheel}-*.dist-info in ${site}`);
  return fs.readFileSync(path.join(site, info, 'METADATA'), 'utf8').split('\n')
    .map((line) => /^Requires-Dist: ([^;]+);.*extra == "([^"]+)"/.exec(line))
    .filter((m): m is RegExpExecArray => m?.[2] === extra)
    .map((m) => m[1]!.replace(/\s+/g, ''));
}

/** The wheel's library folders, the addon's rpath: TensorFlow's, then the CUDA wheels' (--gpu). */
function libDirs(): string[] {
  const nvidia = path.join(siteDir, 'nvidia');
  const cuda = fs.existsSync(nvidia) ? fs.readdirSync(nvidia).map((d) => path.join(nvidia, d, 'lib')).filter((d) => fs.existsSync(d)).sort() : [];
  return [path.join(siteDir, 'tensorflow'), ...cuda];
}

/** Step 1: the wheel in <folder>/site, installed into a staging folder and renamed when complete. */
function installWheel(): Stamp {
  const wheelStamp: WheelStamp = { wheel: variant.wheel, tensorflow: TENSORFLOW_VERSION };
  const existing = readJson<WheelStamp>(stampFile);
  if (existing?.wheel === wheelStamp.wheel && existing.tensorflow === wheelStamp.tensorflow && fs.existsSync(path.join(siteDir, 'tensorflow/libtensorflow_cc.so.2'))) {
    say(`${variant.wheel} ${TENSORFLOW_VERSION}: already in ${siteDir}`);
    return { ...wheelStamp, libDirs: libDirs() };
  }
  const python = findPython();
  const since = performance.now();
  const staging = `${siteDir}.partial`;
  fs.rmSync(staging, { recursive: true, force: true });
  fs.mkdirSync(engineDir, { recursive: true });
  // --no-deps: the C library needs none of TensorFlow's Python packages (numpy, keras, …)
  const pip = (requirements: string[]) => {
    const result = run(python, ['-m', 'pip', 'install', '--no-deps', '--only-binary=:all:', '--no-warn-script-location', '--disable-pip-version-check', '--target', staging, ...requirements], { env: { ...process.env, PIP_ROOT_USER_ACTION: 'ignore' } });
    if (result?.status !== 0) throw new Unavailable(`${python} -m pip could not install ${requirements.join(' ')}:\n${tail(result?.out ?? '')}`);
  };
  const wheel = `${variant.wheel}==${TENSORFLOW_VERSION}`;
  say(`installing ${wheel}${variant.extra ? ` and its ${variant.extra} extra` : ''} with ${python} -m pip (--target ${siteDir})`);
  try {
    pip([wheel]);
    if (variant.extra) {
      const extra = extraRequirements(staging, variant.extra);
      if (extra.length === 0) throw new Error(`${wheel} lists no ${variant.extra} requirements`);
      pip(extra);
    } else {
      // the addon needs the two libraries and the C API headers; TensorFlow's Python half (~250 MB) goes
      for (const entry of fs.readdirSync(path.join(staging, 'tensorflow'))) {
        if (!['libtensorflow_cc.so.2', 'libtensorflow_framework.so.2', 'include'].includes(entry)) fs.rmSync(path.join(staging, 'tensorflow', entry), { recursive: true, force: true });
      }
      fs.rmSync(path.join(staging, 'bin'), { recursive: true, force: true });
    }
    for (const lib of ['libtensorflow_cc.so.2', 'libtensorflow_framework.so.2']) {
      if (!fs.existsSync(path.join(staging, 'tensorflow', lib))) throw new Error(`${wheel} has no tensorflow/${lib}: not a wheel with the C API`);
    }
  } catch (err) {
    fs.rmSync(staging, { recursive: true, force: true });
    throw err;
  }
  fs.rmSync(siteDir, { recursive: true, force: true });
  fs.renameSync(staging, siteDir);
  fs.writeFileSync(stampFile, `${JSON.stringify(wheelStamp, null, 2)}\n`);
  say(`${wheel} installed in ${seconds(since)}`);
  return { ...wheelStamp, libDirs: libDirs() };
}

/** Step 2: the tfjs-node package, without its install script. */
function installPackage(): void {
  const have = readJson<{ version: string }>(path.join(packageDir, 'package.json'))?.version;
  if (have === tfjsVersion) {
    say(`${variant.npm}@${tfjsVersion}: already in node_modules`);
    return;
  }
  const since = performance.now();
  const spec = `${variant.npm}@${tfjsVersion}`;
  say(`adding ${spec} to node_modules (npm install --no-save --ignore-scripts: its libtensorflow download never runs)`);
  // through the npm that runs us when there is one (npm run), else the one on PATH
  const [command, args] = process.env.npm_execpath ? [process.execPath, [process.env.npm_execpath]] : ['npm', []];
  const result = run(command, [...args, 'install', '--no-save', '--ignore-scripts', '--no-audit', '--no-fund', spec], { cwd: ROOT });
  if (result?.status !== 0) throw new Error(`npm install ${spec} failed:\n${tail(result?.out ?? 'npm not found')}`);
  say(`${spec} added in ${seconds(since)}`);
}

/** Node's headers for node-gyp, so nothing is downloaded: --nodedir, else the running Node's prefix. */
function nodeDir(): string {
  const dir = path.resolve(parsed.values.nodedir ?? path.dirname(path.dirname(process.execPath)));
  if (!fs.existsSync(path.join(dir, 'include/node/node_api.h'))) {
    throw new Unavailable(`Node's headers are not in ${dir}/include/node (node-gyp needs them): use a Node from the release tarball (scripts/node22.sh's has them) or pass --nodedir`);
  }
  return dir;
}

/**
 * The package's deps/ pointed at the wheel: binding.gyp compiles against deps/include and links
 * -ltensorflow -ltensorflow_framework from deps/lib (also the addon's $ORIGIN rpath entry).
 */
function linkDeps(tfDir: string): void {
  const deps = path.join(packageDir, 'deps');
  fs.rmSync(deps, { recursive: true, force: true });
  fs.mkdirSync(path.join(deps, 'lib'), { recursive: true });
  fs.symlinkSync(path.join(tfDir, 'include'), path.join(deps, 'include'));
  const links: [string, string][] = [['libtensorflow.so', 'libtensorflow_cc.so.2'], ['libtensorflow_framework.so', 'libtensorflow_framework.so.2']];
  for (const [name, target] of links) fs.symlinkSync(path.join(tfDir, target), path.join(deps, 'lib', name));
}

/** Step 3: the addon, built against the wheel, or copied from <folder>/addons after an `npm ci`. */
function buildAddon(stamp: Stamp): { addon: string; status: 'present' | 'copied' | 'built' } {
  const require = createRequire(path.join(packageDir, 'package.json'));
  const preGyp = require('@mapbox/node-pre-gyp') as { find: (packageJson: string) => string };
  // find() parses process.argv as node-pre-gyp's own command line, where our --dir would be its --directory
  const argv = process.argv;
  process.argv = argv.slice(0, 2);
  const addon = preGyp.find(path.join(packageDir, 'package.json'));
  process.argv = argv;
  const addonStamp = path.join(path.dirname(addon), 'digits-engine.json');
  if (fs.existsSync(addon) && sameStamp(readJson<Stamp>(addonStamp), stamp)) return { addon, status: 'present' };
  // N-API addons do not depend on Node's version, only on the napi-vN folder node-pre-gyp picked
  const cached = path.join(engineDir, 'addons', `${path.basename(variant.npm)}-${tfjsVersion}-${path.basename(path.dirname(addon))}.node`);
  const writeStamp = () => fs.writeFileSync(addonStamp, `${JSON.stringify(stamp, null, 2)}\n`);
  if (fs.existsSync(cached)) {
    linkDeps(stamp.libDirs[0]!);
    fs.mkdirSync(path.dirname(addon), { recursive: true });
    fs.copyFileSync(cached, addon);
    writeStamp();
    return { addon, status: 'copied' };
  }
  for (const tool of ['g++', 'make']) {
    if (run(tool, ['--version'])?.status !== 0) throw new Unavailable(`no ${tool}: building the addon needs a C++ compiler and make (Debian: apt-get install g++ make)`);
  }
  const nodedir = nodeDir();
  const since = performance.now();
  linkDeps(stamp.libDirs[0]!);
  say(`building ${path.relative(ROOT, addon)} against TensorFlow ${stamp.tensorflow} (node-gyp, Node headers from ${nodedir})`);
  const preGypBin = path.join(path.dirname(require.resolve('@mapbox/node-pre-gyp/package.json')), 'bin/node-pre-gyp');
  // node-gyp's Makefile takes LDFLAGS from the environment: the wheel's folders go into the rpath
  const env = { ...process.env, LDFLAGS: `${process.env.LDFLAGS ?? ''} ${stamp.libDirs.map((d) => `-Wl,-rpath,${d}`).join(' ')}`.trim(), JOBS: String(os.availableParallelism()) };
  const result = run(process.execPath, [preGypBin, 'install', '--build-from-source', `--nodedir=${nodedir}`], { cwd: packageDir, env });
  if (result?.status !== 0 || !fs.existsSync(addon)) throw new Error(`building the ${variant.npm} addon failed:\n${tail(result?.out ?? '', 30)}`);
  fs.mkdirSync(path.dirname(cached), { recursive: true });
  fs.copyFileSync(addon, cached);
  writeStamp();
  say(`addon built in ${seconds(since)}`);
  return { addon, status: 'built' };
}

/** Loads the engine in a fresh Node without LD_LIBRARY_PATH (the rpath must do) and returns TF_Version. */
function loadCheck(): string {
  const { LD_LIBRARY_PATH: _ignored, ...env } = process.env;
  const code = `const tf = require(${JSON.stringify(variant.npm)}); console.log(JSON.stringify({ backend: tf.getBackend(), version: tf.backend().binding.TF_Version }));`;
  const result = run(process.execPath, ['-e', code], { cwd: ROOT, env: { ...env, TF_CPP_MIN_LOG_LEVEL: '2' } });
  const line = result?.status === 0 ? result.out.split('\n').find((l) => l.startsWith('{')) : undefined;
  const loaded = line ? JSON.parse(line) as { backend: string; version: string } : null;
  if (!loaded || loaded.backend !== 'tensorflow') throw new Error(`${variant.npm} does not load:\n${tail(result?.out ?? '')}`);
  return loaded.version;
}

try {
  const stamp = installWheel();
  installPackage();
  const { addon, status } = buildAddon(stamp);
  const version = loadCheck();
  if (version !== stamp.tensorflow) throw new Error(`Expected the addon to load TensorFlow ${stamp.tensorflow} but it runs ${version}`);
  const where = `${variant.npm}@${tfjsVersion} on TensorFlow ${version} (${variant.wheel} wheel in ${siteDir})`;
  if (status === 'present') say(`nothing to do: ${where} is built and loads (${path.relative(ROOT, addon)})`);
  else say(`ready in ${seconds(started)}: ${where}; the addon was ${status === 'built' ? 'built' : `copied from ${path.join(engineDir, 'addons')}`}`);
  say('TF_BACKEND=auto (or tensorflow) now picks it; `npm ci` or `npm install` removes the package again: rerun this command');
  if (gpu) {
    say('GPU: unverified here (the CUDA wheels were not installable on the machines this was written on).');
    say(`  if TensorFlow logs "Could not load dynamic library", start the worker with LD_LIBRARY_PATH=${stamp.libDirs.join(':')}`);
    say('  keep the CUDA JIT cache across runs (kernels compiled from PTX for GPUs newer than the wheel\'s):');
    say('  CUDA_CACHE_PATH=<a persistent folder, e.g. on the jobs volume> CUDA_CACHE_MAXSIZE=4294967296');
  }
} catch (err) {
  process.stderr.write(`engine: ${(err as Error).message}\n`);
  process.exit(err instanceof Unavailable ? 3 : 1);
}
