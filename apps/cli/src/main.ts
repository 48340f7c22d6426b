/**
 * `digits-ts`: a thin command-line client over the DIGITS REST API (the README's curl calls).
 * `main(argv, io)` runs one command and resolves to its exit code: 0 success, 1 the server
 * refused or the job failed, 2 a usage error.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseCommandArgs, splitCommand, UsageError } from './args.ts';
import { Client, ServerError } from './client.ts';
import type { Command } from './command.ts';
import { login, logout } from './commands/auth.ts';
import { datasetCreate, datasetCreateGradients } from './commands/datasets.ts';
import { classify, download, infer } from './commands/inference.ts';
import { datasetList, follow, jobs, modelList, status } from './commands/jobs.ts';
import { modelCreate } from './commands/models.ts';
import type { CliIo, Ctx } from './context.ts';
import { readSessionCookie } from './cookie-jar.ts';

export type { CliIo } from './context.ts';

/** Every command by its words. */
export const COMMANDS: Record<string, Command> = {
  login,
  logout,
  'dataset create': datasetCreate,
  'dataset create-gradients': datasetCreateGradients,
  'dataset list': datasetList,
  'model create': modelCreate,
  'model list': modelList,
  status,
  follow,
  classify,
  infer,
  download,
  jobs,
};

function usage(): string {
  const commands = Object.values(COMMANDS).map((c) => `  digits-ts ${c.usage}\n      ${c.summary}`).join('\n');
  return `Usage: digits-ts [--server URL] [--cookie-jar FILE] [--json] COMMAND …

A command-line client for a DIGITS-TS (or NVIDIA DIGITS) server.

Global flags:
  --server URL        the server (default: $DIGITS_URL, else http://localhost:5000)
  --cookie-jar FILE   where login keeps the session cookie (default ~/.digits-ts/cookie; Netscape format, curl -b reads it)
  --json              print the server's JSON answers instead of text
  -h, --help          this help

Commands:
${commands}

Environment: DIGITS_URL (the server), DIGITS_TOKEN (an API token, sent as Authorization: Bearer,
for servers running with AUTH_MODE=token).

Form fields: the create commands pass any other DIGITS form field as --field-name value
(e.g. --folder-pct-val 10, --learning-rate 0.001, --batch-size 64); a value @FILE uploads that file.
Exit codes: 0 success, 1 the server refused or the job ended in Error/Aborted, 2 usage error.
`;
}

function commandHelp(command: Command): string {
  return `Usage: digits-ts ${command.usage}\n\n${command.summary}\n\nGlobal flags: --server URL, --cookie-jar FILE, --json (see digits-ts --help)\n`;
}

/** The server URL, checked. */
function serverUrl(text: string): URL {
  try {
    const url = new URL(text);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('not http(s)');
    return url;
  } catch {
    throw new UsageError(`--server must be an http(s) URL, got ${text}`);
  }
}

/** Runs the command line `argv` (without `node` and the script); resolves to the exit code. */
export async function main(argv: string[], io: CliIo): Promise<number> {
  const err = (text: string) => void io.stderr.write(`${text}\n`);
  try {
    const { words, rest } = splitCommand(argv);
    const key = words.join(' ');
    if (key === '' || key === 'help') {
      const wantsHelp = key === 'help' || rest.includes('--help') || rest.includes('-h');
      if (wantsHelp) io.stdout.write(usage());
      else io.stderr.write(usage());
      return wantsHelp ? 0 : 2;
    }
    const command = COMMANDS[key];
    if (!command) throw new UsageError(`unknown command "${key}"`);
    const args = parseCommandArgs(rest, command.options, command.fields === true);
    if (args.options.help) {
      io.stdout.write(commandHelp(command));
      return 0;
    }
    const server = serverUrl(typeof args.options.server === 'string' ? args.options.server : io.env.DIGITS_URL || 'http://localhost:5000');
    const home = io.env.HOME || os.homedir();
    const cookieJar = path.resolve(io.cwd, typeof args.options['cookie-jar'] === 'string' ? args.options['cookie-jar'] : path.join(home, '.digits-ts', 'cookie'));
    const ctx: Ctx = {
      client: new Client(server, await readSessionCookie(cookieJar, server), io.fetch, io.env.DIGITS_TOKEN || null),
      io,
      json: args.options.json === true,
      cookieJar,
      out: (text) => void io.stdout.write(`${text}\n`),
      err,
    };
    return await command.run(ctx, args);
  } catch (error) {
    if (error instanceof UsageError) {
      err(`digits-ts: ${error.message}\nRun "digits-ts --help" for usage.`);
      return 2;
    }
    if (error instanceof ServerError) {
      err(`error: ${error.message}`);
      return 1;
    }
    // a local file that cannot be read or written (download -o into a missing folder, …)
    if (error instanceof Error && typeof (error as NodeJS.ErrnoException).syscall === 'string') {
      err(`error: ${error.message}`);
      return 1;
    }
    throw error;
  }
}

/** The real process's streams, environment and working folder. */
export function processIo(): CliIo {
  return { stdout: process.stdout, stderr: process.stderr, env: process.env, cwd: process.cwd() };
}

/** True when this file is the process entry (`tsx apps/cli/src/main.ts`), not imported. */
function isEntry(): boolean {
  const entry = process.argv[1];
  if (!entry) return false;
  try {
    return fs.realpathSync(entry) === fs.realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isEntry()) process.exitCode = await main(process.argv.slice(2), processIo());
