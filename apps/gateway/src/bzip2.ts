/**
 * bzip2 through the system's `bzip2` program (Debian's `bzip2` package), streamed: npm has no
 * maintained bzip2 encoder, and a hand-written one is not worth its bugs.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { PassThrough, pipeline, type Readable } from 'node:stream';
import { Errors } from '@digits-ts/contracts';

/** Starts `command`, resolving once it runs; a program that cannot be started is ARCHIVE_FORMAT_UNAVAILABLE. */
async function started(command: string): Promise<ChildProcess> {
  const child = spawn(command, ['-c'], { stdio: ['pipe', 'pipe', 'ignore'] });
  await new Promise<void>((resolve, reject) => {
    child.once('spawn', resolve);
    child.once('error', (err: NodeJS.ErrnoException) => {
      reject(Errors.ARCHIVE_FORMAT_UNAVAILABLE(`this server cannot write .tar.bz2: its "${command}" program could not be started (${err.code ?? err.message}); install bzip2 (Debian: apt-get install bzip2) or download .tar.gz`, { cause: err }));
    });
  });
  return child;
}

/**
 * `source` compressed by a `bzip2` child process. Back-pressure runs through the pipes both ways;
 * when the reader goes away (the client hung up) the child is killed, and a child that fails
 * mid-way ends the stream with an error (the client sees a cut download, never a clean one).
 */
export async function bzip2Stream(source: Readable, command = 'bzip2'): Promise<Readable> {
  let child: ChildProcess;
  try {
    child = await started(command);
  } catch (err) {
    source.destroy();
    throw err;
  }
  const out = new PassThrough();
  let finished = false;
  const stop = () => {
    if (!finished && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  };
  child.on('error', () => {}); // a kill or a broken pipe after the start: the pipelines report it
  // the child's stdin closes early when it dies: that is reported by the other pipeline
  pipeline(source, child.stdin!, () => {});
  pipeline(child.stdout!, out, (err) => {
    if (err) stop();
  });
  child.once('exit', (code, signal) => {
    finished = true;
    if (code !== 0 && !out.destroyed) out.destroy(new Error(`bzip2 ended with ${signal ?? `exit status ${code}`}`));
  });
  out.once('close', stop);
  return out;
}
