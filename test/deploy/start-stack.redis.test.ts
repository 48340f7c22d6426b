// `npm start` (scripts/start-stack.sh) as a newcomer runs it, against a throwaway redis-server:
// it ends with one plain line saying where to open the server, and it refuses a Redis whose key
// prefix holds another install's queues (another JOBS_DIR, or keys without a marker) unless
// DIGITS_SHARE_REDIS=1 — checked before it starts any process.
import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import t, { type Test } from 'tap';
import { Redis } from 'ioredis';
import { freePort, startRedisProcess } from '../helpers/processes.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

interface Stack {
  output(): string;
  /** Resolves with the exit code once the script has ended. */
  exited: Promise<number | null>;
  /** Resolves when the output holds `text`; rejects if the script ends first. */
  printed(text: string): Promise<void>;
  stop(): Promise<void>;
}

/** Runs the start script in its own process group, so stopping it reaches the processes it started. */
function startScript(t: Test, env: Record<string, string>): Stack {
  const { DIGITS_SHARE_REDIS: _, ...inherited } = process.env;
  const child = spawn('bash', ['scripts/start-stack.sh'], { cwd: ROOT, env: { ...inherited, LOG_LEVEL: 'warn', ...env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let text = '';
  const waiting = new Set<() => void>();
  const onData = (d: Buffer) => {
    text += d.toString();
    for (const check of [...waiting]) check();
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) process.kill(-child.pid!, 'SIGTERM');
    await exited;
  };
  t.teardown(async () => {
    await stop();
    // anything of the group that outlived the script's own cleanup
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // the group is gone
    }
  });
  const printed = (needle: string) => new Promise<void>((resolve, reject) => {
    const check = () => {
      if (!text.includes(needle)) return;
      waiting.delete(check);
      resolve();
    };
    waiting.add(check);
    check();
    void exited.then((code) => {
      if (!text.includes(needle)) reject(new Error(`the script ended (${code}) without printing "${needle}":\n${text.slice(-3000)}`));
    });
  });
  return { output: () => text, exited, printed, stop };
}

t.test('npm start says where to open it, and keeps off another install\'s Redis', async (t) => {
  const root = await fs.mkdtemp(path.join(os.tmpdir(), 'digits-ts-start-'));
  t.teardown(() => fs.rm(root, { recursive: true, force: true }));
  await fs.mkdir(path.join(root, 'redis'));
  const redisPort = await freePort();
  await startRedisProcess(t, path.join(root, 'redis'), redisPort);
  const redisUrl = `redis://127.0.0.1:${redisPort}`;
  const redis = new Redis(redisUrl);
  t.teardown(() => redis.quit());
  const env = (name: string, port: number) => ({ REDIS_URL: redisUrl, JOBS_DIR: path.join(root, name), DATA_ROOTS: root, HTTP_PORT: String(port) });
  const marker = async () => JSON.parse((await redis.get('digits:install')) ?? 'null') as { jobsDir: string } | null;

  const portA = await freePort();
  const a = startScript(t, env('a', portA));
  const line = `DIGITS-TS is running: open http://127.0.0.1:${portA}/`;
  await a.printed(`${line}\n`);
  t.equal(a.output().split('\n').filter((l) => l === line).length, 1, 'one plain line says where to open it');
  const home = await fetch(`http://127.0.0.1:${portA}/`);
  t.equal(home.status, 200, 'and the page is there');
  t.match(await home.text(), /<title>DIGITS<\/title>/, 'DIGITS\' home page title');
  t.equal((await marker())?.jobsDir, path.join(root, 'a'), 'Redis records which jobs folder the queues serve');
  await a.stop();

  const b = startScript(t, env('b', await freePort()));
  t.equal(await b.exited, 1, 'a second install on the same prefix is refused');
  t.match(b.output(), `another DIGITS-TS (jobs folder ${path.join(root, 'a')}`);
  t.match(b.output(), /QUEUE_PREFIX=[\s\S]*DIGITS_SHARE_REDIS=1/, 'with what to do instead');
  t.notMatch(b.output(), /worker started|gateway listening|DIGITS-TS is running/, 'nothing was started');

  const portB = await freePort();
  const shared = startScript(t, { ...env('b', portB), DIGITS_SHARE_REDIS: '1' });
  await shared.printed(`DIGITS-TS is running: open http://127.0.0.1:${portB}/\n`);
  t.equal((await marker())?.jobsDir, path.join(root, 'b'), 'sharing on purpose takes the marker over');
  await shared.stop();
  const again = startScript(t, env('a', await freePort()));
  t.equal(await again.exited, 1, 'so the first install is warned in turn');

  // queues under a prefix with no marker: an install that never said which folder it serves
  await redis.set('older:train:meta', 'x');
  const unmarked = startScript(t, { ...env('c', await freePort()), QUEUE_PREFIX: 'older' });
  t.equal(await unmarked.exited, 1);
  t.match(unmarked.output(), /under the key prefix "older", the queues of a DIGITS-TS that did not say which jobs folder it serves/);
});
