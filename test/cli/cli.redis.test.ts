// The digits-ts CLI (apps/cli) against the real gateway + worker on Redis, over real HTTP:
// login, dataset and model creation, follow, classify, download, generic models and infer, refusals, usage errors, the bin.
import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { gunzipSync } from 'node:zlib';
import t, { type Test } from 'tap';
import { main, type CliIo } from '../../apps/cli/src/main.ts';
import { writeMnistPngs } from '../../scripts/mnist.ts';
import { startStack } from '../helpers/stack.ts';

interface Run { code: number; stdout: string; stderr: string }

t.test('the CLI drives the REST API end to end', async (t) => {
  const stack = await startStack(t);
  const server = await stack.app.listen({ port: 0, host: '127.0.0.1' });
  const root = path.dirname(stack.dataDir);
  const jar = path.join(root, 'cli', 'cookie');
  const mnistDir = path.join(stack.dataDir, 'mnist');
  await writeMnistPngs(mnistDir, { splits: ['train'], perClass: 30 });

  /** One in-process CLI run with captured output; env is empty so nothing of the user's leaks in. */
  const cli = async (...argv: string[]): Promise<Run> => {
    let stdout = '';
    let stderr = '';
    const io: CliIo = { stdout: { write: (s: string) => (stdout += s) }, stderr: { write: (s: string) => (stderr += s) }, env: {}, cwd: root };
    const code = await main(['--server', server, '--cookie-jar', jar, ...argv], io);
    return { code, stdout, stderr };
  };
  // the output shows up as diagnostics only when the exit code is wrong
  const ok = (t: Test, run: Run, what: string) => t.equal(run.code, 0, `${what} exits 0`, { stdout: run.stdout, stderr: run.stderr });

  const notLoggedIn = await cli('dataset', 'create', '--name', 'x', '--folder-train', mnistDir);
  t.equal(notLoggedIn.code, 1, 'creating without a login is a refusal');
  t.match(notLoggedIn.stderr, /logged in[\s\S]*digits-ts login/);

  const badLogin = await cli('login', 'Alice');
  t.equal(badLogin.code, 1);
  t.match(badLogin.stderr, /Must start with a lowercase letter/);

  const login = await cli('login', 'alice');
  ok(t, login, 'login');
  t.match(await fs.readFile(jar, 'utf8'), /^#HttpOnly_127\.0\.0\.1\t.*\tusername\t\S+$/m, 'a Netscape cookie line curl -b can read');
  t.equal((await fs.stat(jar)).mode & 0o777, 0o600, 'the cookie file is private');

  // a relative folder is made absolute from the working folder
  const dataset = await cli('dataset', 'create', '--name', 'mnist', '--folder-train', 'data/mnist/train', '--resize-width', '28', '--resize-height', '28', '--resize-channels', '1', '--encoding', 'png');
  ok(t, dataset, 'dataset create');
  const datasetId = dataset.stdout.split(/\s+/)[0]!;
  t.match(datasetId, /^\d{8}-\d{6}-[0-9a-f]{4}$/);
  const datasetFollow = await cli('follow', datasetId, '--interval', '0.2');
  ok(t, datasetFollow, 'follow dataset');
  t.match(datasetFollow.stdout, /mnist\s+\[#+\]\s+100%\s+Done/);
  t.match(datasetFollow.stdout, /Create DB \(train\): \d+ entries/);

  const model = await cli('model', 'create', '--name', 'lenet', '--dataset', datasetId, '--network', 'lenet', '--epochs', '2', '--random-seed', '1');
  ok(t, model, 'model create');
  const modelId = model.stdout.split(/\s+/)[0]!;
  const modelFollow = await cli('follow', modelId, '--interval', '0.2');
  ok(t, modelFollow, 'follow model');
  const finalLine = modelFollow.stdout.split('\n').find((l) => /Done/.test(l)) ?? '';
  t.match(finalLine, /lenet\s+\[#{24}\]\s+100%\s+Done\s+epoch 2\s+loss \d+\.\d{4}\s+val_loss \d+\.\d{4}\s+val_acc \d+\.\d{2}%/, modelFollow.stdout);
  t.ok(Number(/val_acc (\d+\.\d+)%/.exec(finalLine)?.[1]) > 20, 'two epochs on 230 digits beat chance (10 %)');
  t.match(modelFollow.stdout, /snapshots \(epochs\): 1, 2/);

  await t.test('status, jobs and --json', async (t) => {
    const st = await cli('status', modelId);
    ok(t, st, 'status');
    t.match(st.stdout, /Image Classification Model[\s\S]*Done\s+epoch 2/);
    const json = await cli('--json', 'status', datasetId);
    t.same(JSON.parse(json.stdout), { error: null, status: 'Done', name: 'mnist', type: 'Image Classification Dataset' });
    const list = await cli('jobs');
    t.match(list.stdout, /^ID\s+KIND\s+STATUS\s+NAME\s+DATASET$/m);
    t.match(list.stdout, new RegExp(`^${modelId}\\s+model\\s+Done\\s+lenet\\s+${datasetId}$`, 'm'));
    t.match(list.stdout, new RegExp(`^${datasetId}\\s+dataset\\s+Done\\s+mnist$`, 'm'));
    const unknown = await cli('status', '20200101-000000-abcd');
    t.equal(unknown.code, 1);
    t.match(unknown.stderr, /Job not found/);
  });

  await t.test('classify and download', async (t) => {
    const sevens = path.join(mnistDir, 'train', '7');
    const images = (await fs.readdir(sevens)).slice(0, 3).map((f) => path.join(sevens, f));
    const one = await cli('classify', modelId, images[0]!, '--top', '2');
    ok(t, one, 'classify one');
    const lines = one.stdout.trimEnd().split('\n');
    t.equal(lines.length, 2, '--top 2 prints two predictions', { stdout: one.stdout });
    t.match(lines[0], /^\S+\.png {2}\d {2}\d+\.\d{2}%$/, 'image, a digit label and its confidence');
    const uploaded = await cli('classify', modelId, images[0]!, images[1]!, '--upload');
    ok(t, uploaded, 'classify --upload sends each image');
    t.equal(uploaded.stdout.trimEnd().split('\n').length, 2, 'one line per image', { stdout: uploaded.stdout });
    t.equal(uploaded.stdout.split('\n')[0], one.stdout.split('\n')[0], 'same answer as classify_one');
    const many = await cli('classify', modelId, ...images);
    ok(t, many, 'classify several (classify_many)');
    t.equal(many.stdout.trimEnd().split('\n').length, 3, 'one line per image', { stdout: many.stdout });
    t.match(many.stdout, /\d {2}\d+\.\d{2}%/);

    const archive = path.join(root, 'lenet.tar.gz');
    const dl = await cli('download', modelId, '-o', archive);
    ok(t, dl, 'download');
    t.match(dl.stdout, /saved .*lenet\.tar\.gz \(\d+ bytes\)/);
    const tar = gunzipSync(await fs.readFile(archive));
    t.equal(tar.subarray(257, 262).toString(), 'ustar', 'a gzip tar');
    const zip = await cli('download', modelId, '--epoch', '1', '--format', 'zip', '-o', path.join(root, 'lenet.zip'));
    ok(t, zip, 'download zip');
    t.equal((await fs.readFile(path.join(root, 'lenet.zip'))).subarray(0, 2).toString(), 'PK');
    const badEpoch = await cli('download', modelId, '--epoch', '7', '-o', path.join(root, 'x.tar.gz'));
    t.equal(badEpoch.code, 1);
    t.match(badEpoch.stderr, /SNAPSHOT_NOT_FOUND/);
    t.notOk(await fs.stat(path.join(root, 'x.tar.gz')).catch(() => null), 'a refused download leaves no file');
    const noFolder = await cli('download', modelId, '-o', path.join(root, 'missing', 'x.tar.gz'));
    t.equal(noFolder.code, 1);
    t.match(noFolder.stderr, /^error: ENOENT/);
  });

  await t.test('refusals exit 1, usage errors exit 2', async (t) => {
    const refused = await cli('model', 'create', '--name', 'x', '--dataset', '20200101-000000-abcd', '--network', 'lenet');
    t.equal(refused.code, 1);
    t.match(refused.stderr, /dataset: Not a valid choice/);
    t.match(refused.stderr, /VALIDATION_FAILED/);
    for (const argv of [['model', 'create', '--name', 'x'], ['frobnicate'], ['download', modelId, '--format', 'rar'], ['status'], ['classify', modelId]]) {
      const run = await cli(...argv);
      t.equal(run.code, 2, argv.join(' '), { stderr: run.stderr });
      t.match(run.stderr, /digits-ts: .+\nRun "digits-ts --help" for usage/);
    }
  });

  await t.test('a gradients dataset, a generic model from a prototxt file, infer; logout forgets the session', async (t) => {
    const gradients = await cli('dataset', 'create-gradients', '--name', 'grad', '--train', '32', '--val', '8', '--width', '8', '--height', '8', '--follow', '--interval', '0.2');
    ok(t, gradients, 'create-gradients --follow');
    t.match(gradients.stdout, /grad\s+.*Done/);
    t.match(gradients.stdout, /feature dims: 8x8x1/);
    const gradId = gradients.stdout.split(/\s+/)[0]!;
    const prototxt = path.resolve(import.meta.dirname, '../fixtures/gradient-regression.prototxt');
    const regression = await cli('model', 'create', '--generic', '--name', 'reg', '--dataset', gradId, '--custom', prototxt, '--epochs', '1', '--solver-type', 'ADAM', '--learning-rate', '0.001', '--lr-policy', 'fixed', '--follow', '--interval', '0.2');
    ok(t, regression, 'model create --generic --custom --follow');
    t.match(regression.stdout, /reg\s+\[#{24}\]\s+100%\s+Done\s+epoch 1\s+loss \d+\.\d{4}/, 'a regression shows its loss, no accuracy');
    const png = path.join(mnistDir, 'train', '3', (await fs.readdir(path.join(mnistDir, 'train', '3')))[0]!);
    const inferred = await cli('infer', regression.stdout.split(/\s+/)[0]!, png);
    ok(t, inferred, 'infer on the regression');
    t.match(inferred.stdout, /^output: \[\[-?[\d.e-]+,-?[\d.e-]+\]\]$/m, 'two slopes with the batch dimension');
    ok(t, await cli('logout'), 'logout');
    t.notMatch(await fs.readFile(jar, 'utf8'), /username/);
    t.equal((await cli('model', 'create', '--name', 'y', '--dataset', datasetId, '--network', 'lenet')).code, 1);
  });

  await t.test('the bin runs as a child process', async (t) => {
    const bin = path.resolve(import.meta.dirname, '../../apps/cli/bin/digits-ts.mjs');
    const { stdout } = await promisify(execFile)(process.execPath, [bin, '--server', server, '--cookie-jar', jar, 'status', modelId], { env: { ...process.env, NODE_OPTIONS: '' } });
    t.match(stdout, new RegExp(`${modelId}\\s+Image Classification Model\\nlenet .*Done`));
    const usage = await promisify(execFile)(process.execPath, [bin, 'nope']).catch((err: { code: number; stderr: string }) => err);
    t.equal((usage as { code: number }).code, 2, 'usage errors exit 2 from the real process');
  });
});
