/**
 * Real gateway, worker and redis-server processes for fault tests: started from the sources with
 * tsx, their logs kept, killed however the test likes (kill -9, SIGTERM) and reaped after.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export interface Proc {
  child: ChildProcess;
  pid: number;
  /** Everything it printed so far. */
  output(): string;
  /** Resolves when it exits. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

interface Teardown { teardown(fn: () => unknown): void }

function start(t: Teardown, command: string, args: string[], env: Record<string, string>): Proc {
  const child = spawn(command, args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let text = '';
  child.stdout!.on('data', (d: Buffer) => { text += d.toString(); });
  child.stderr!.on('data', (d: Buffer) => { text += d.toString(); });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  t.teardown(async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
  });
  return { child, pid: child.pid!, output: () => text, exited };
}

/** Waits until `proc` printed `marker` (checked as its output arrives, bounded); throws with its output if it exited first. */
export async function waitForOutput(proc: Proc, marker: string, timeoutMs = 60_000): Promise<void> {
  const { child } = proc;
  await new Promise<void>((resolve, reject) => {
    const check = () => {
      if (proc.output().includes(marker)) finish();
      else if (child.exitCode !== null || child.signalCode !== null) finish(new Error(`process exited before "${marker}":\n${proc.output().slice(-3000)}`));
    };
    const timer = setTimeout(() => finish(new Error(`no "${marker}" after ${timeoutMs} ms:\n${proc.output().slice(-3000)}`)), timeoutMs);
    // the Proc's own listeners were added first, so its text already holds each chunk seen here
    const finish = (err?: Error) => {
      clearTimeout(timer);
      child.stdout!.off('data', check);
      child.stderr!.off('data', check);
      child.off('close', check);
      if (err) reject(err);
      else resolve();
    };
    child.stdout!.on('data', check);
    child.stderr!.on('data', check);
    child.on('close', check);
    check();
  });
}

/** A worker process (apps/worker/src/main.ts) with `env`; resolves once it is serving. */
export async function startWorkerProcess(t: Teardown, env: Record<string, string>): Promise<Proc> {
  const proc = start(t, process.execPath, ['--import', 'tsx', 'apps/worker/src/main.ts'], { LOG_LEVEL: 'info', ...env });
  await waitForOutput(proc, 'worker started');
  return proc;
}

/** A gateway process (apps/gateway/src/server.ts) with `env`; resolves once it listens. */
export async function startGatewayProcess(t: Teardown, env: Record<string, string>): Promise<Proc> {
  const proc = start(t, process.execPath, ['--import', 'tsx', 'apps/gateway/src/server.ts'], { LOG_LEVEL: 'info', ...env });
  await waitForOutput(proc, 'gateway listening');
  return proc;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** A private redis-server keeping an append-only file in `dir` (fsync on every write). */
export async function startRedisProcess(t: Teardown, dir: string, port: number): Promise<Proc> {
  const proc = start(t, 'redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'yes', '--appendfsync', 'always'], {});
  await waitForOutput(proc, 'Ready to accept connections', 10_000);
  return proc;
}
