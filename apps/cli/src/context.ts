/** What every command gets: the client, where to print, and the global flags. */
import type { Client } from './client.ts';

/** The process surface the CLI uses, so tests can run it in-process. */
export interface CliIo {
  stdout: { write(text: string): unknown; isTTY?: boolean };
  stderr: { write(text: string): unknown };
  /** Environment variables (DIGITS_URL, DIGITS_TOKEN, HOME). */
  env: Record<string, string | undefined>;
  /** Where relative paths on the command line start. */
  cwd: string;
  /** Replaces the global fetch (tests). */
  fetch?: typeof fetch;
}

export interface Ctx {
  client: Client;
  io: CliIo;
  /** `--json`: print the server's JSON instead of text. */
  json: boolean;
  /** The cookie file `login` writes and every request reads. */
  cookieJar: string;
  /** One line on stdout. */
  out(text: string): void;
  /** One line on stderr. */
  err(text: string): void;
}
