// The CLI's newcomer edges against the real gateway + worker on Redis, over real HTTP: `follow`
// draws a dataset's progress bar from the job's event stream before and while it builds,
// classify names each refused line with the `--upload` hint, and `dataset list` / `model list`.
import fs from 'node:fs/promises';
import path from 'node:path';
import t, { type Test } from 'tap';
import { loadWorkerConfig } from '@digits-ts/config';
import { createLogger } from '@digits-ts/logger';
import { main, type CliIo } from '../../apps/cli/src/main.ts';
import { startWorker, type WorkerHandle } from '../../apps/worker/src/worker.ts';
import { writeMnistPngs } from '../../scripts/mnist.ts';
import { startStack } from '../helpers/stack.ts';

interface Run { code: number; stdout: string; stderr: string }

t.test('follow, classify refusals and the lists, through the CLI', async (t) => {
  // no worker yet: the dataset waits in its queue until the test starts one
  const stack = await startStack(t, { worker: false });
  const server = await stack.app.listen({ port: 0, host: '127.0.0.1' });
  const root = path.dirname(stack.dataDir);
  const jar = path.join(root, 'cli', 'cookie');
  await writeMnistPngs(path.join(stack.dataDir, 'mnist'), { splits: ['train'], perClass: 30 });

  /** One in-process CLI run; `onOutput` sees stdout as it is written. */
  const cli = async (argv: string[], onOutput: (stdout: string) => void = () => {}): Promise<Run> => {
    let stdout = '';
    let stderr = '';
    const io: CliIo = {
      stdout: { write: (s: string) => { stdout += s; onOutput(stdout); } },
      stderr: { write: (s: string) => (stderr += s) },
      env: {},
      cwd: root,
    };
    const code = await main(['--server', server, '--cookie-jar', jar, ...argv], io);
    return { code, stdout, stderr };
  };
  const ok = (t: Test, run: Run, what: string) => t.equal(run.code, 0, `${what} exits 0`, { stdout: run.stdout, stderr: run.stderr });

  ok(t, await cli(['login', 'alice']), 'login');
  t.equal((await cli(['dataset', 'list'])).stdout, 'no datasets\n');
  t.equal((await cli(['model', 'list'])).stdout, 'no models\n');

  const created = await cli(['dataset', 'create', '--name', 'mnist', '--folder-train', 'data/mnist/train', '--resize-width', '28', '--resize-height', '28', '--resize-channels', '1']);
  ok(t, created, 'dataset create');
  const datasetId = created.stdout.split(/\s+/)[0]!;
  let startedWorker: WorkerHandle | null = null;
  // before the stack's own teardown removes the folders the worker uses
  t.teardown(() => startedWorker?.close());

  await t.test('follow shows a dataset build with a progress bar from its first line', async (t) => {
    let firstLine!: () => void;
    const shown = new Promise<void>((resolve) => (firstLine = resolve));
    const following = cli(['follow', datasetId, '--interval', '0.05'], (out) => out.includes('\n') && firstLine());
    await shown;
    startedWorker = await startWorker(loadWorkerConfig(stack.env), createLogger({ level: 'silent', name: 'test' }));
    const run = await following;
    ok(t, run, 'follow');
    const lines = run.stdout.trimEnd().split('\n');
    t.match(lines[0], /^mnist {2}\[-{24}\] {3}0% {2}(Initialized|Waiting)$/, 'a bar before the build starts');
    const progress = lines.filter((l) => !l.startsWith('  '));
    t.ok(progress.every((l) => /^mnist {2}\[[#-]{24}\] +\d+% {2}\w+$/.test(l)), 'every progress line has its bar', { lines });
    t.match(progress.at(-1), /\[#{24}\] 100% {2}Done$/);
    t.match(run.stdout, /Create DB \(train\): \d+ entries/, 'and the summary at the end');
  });

  const model = await cli(['model', 'create', '--name', 'lenet', '--dataset', datasetId, '--network', 'lenet', '--epochs', '1', '--random-seed', '1', '--follow', '--interval', '0.05']);
  ok(t, model, 'model create --follow');
  const modelId = model.stdout.split(/\s+/)[0]!;
  t.match(model.stdout, /lenet {2}\[#{24}\] 100% {2}Done {2}epoch 1 {2}loss [\d.]+/, 'a model follows with its figures');

  await t.test('classify names each refused line and says to --upload', async (t) => {
    const outside = path.join(root, 'outside');
    await fs.mkdir(outside);
    const digits = path.join(stack.dataDir, 'mnist', 'train', '7');
    const [first, second] = (await fs.readdir(digits)).slice(0, 2);
    await fs.copyFile(path.join(digits, first!), path.join(outside, 'a.png'));
    await fs.copyFile(path.join(digits, second!), path.join(outside, 'b.png'));

    const refused = await cli(['classify', modelId, 'outside/a.png', 'outside/b.png']);
    t.equal(refused.code, 1, 'nothing classified is a refusal');
    for (const name of ['a.png', 'b.png']) {
      const full = path.join(outside, name);
      t.match(refused.stderr, `  ${full}: "${full}" is outside DATA_ROOTS [PATH_NOT_ALLOWED]`, `${name}'s reason`);
    }
    t.match(refused.stderr, /hint: .*DATA_ROOTS.*--upload/, 'the hint');

    const partly = await cli(['classify', modelId, 'outside/a.png', path.join(digits, second!)]);
    ok(t, partly, 'one line refused, one classified');
    t.match(partly.stdout, new RegExp(`${second!.replace('.', '\\.')} {2}\\d {2}[\\d.]+%`));
    t.match(partly.stderr, /warning: .*a\.png: .* is outside DATA_ROOTS \[PATH_NOT_ALLOWED\]\n.*hint: .*--upload/);

    const uploaded = await cli(['classify', modelId, 'outside/a.png', 'outside/b.png', '--upload']);
    ok(t, uploaded, 'classify --upload');
    t.equal(uploaded.stdout.trimEnd().split('\n').length, 2, 'a prediction per image');
  });

  await t.test('dataset list and model list', async (t) => {
    const datasets = await cli(['dataset', 'list']);
    ok(t, datasets, 'dataset list');
    t.same(datasets.stdout.trimEnd().split('\n').map((l) => l.split(/ {2,}/)), [['ID', 'STATUS', 'MODELS', 'NAME'], [datasetId, 'Done', '1', 'mnist']]);
    const models = await cli(['model', 'list']);
    ok(t, models, 'model list');
    t.same(models.stdout.trimEnd().split('\n').map((l) => l.split(/ {2,}/)), [['ID', 'STATUS', 'FRAMEWORK', 'NAME', 'DATASET'], [modelId, 'Done', 'tensorflow', 'lenet', `${datasetId} (mnist)`]]);
    const json = JSON.parse((await cli(['--json', 'model', 'list'])).stdout) as { id: string }[];
    t.same(json.map((m) => m.id), [modelId], '--json prints the server\'s model dicts');
    t.same((JSON.parse((await cli(['dataset', 'list', '--json'])).stdout) as { id: string }[]).map((d) => d.id), [datasetId]);
  });
});
