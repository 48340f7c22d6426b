/**
 * Our half of the liblmdb cross-check: the entry-stream digest both sides compute, and a runner
 * for scripts/lmdb-crosscheck.py under Debian's python3-lmdb (the real liblmdb 0.9). Used by
 * test/dataset/lmdb-liblmdb.test.ts and scripts/lmdb-scale-check.ts.
 */
import { execFile } from 'node:child_process';
import { createHash, type Hash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

/** The interpreter with py-lmdb (CI installs Debian's python3-lmdb for it; see .ci/run). */
export const PYTHON = '/usr/bin/python3';
const SCRIPT = fileURLToPath(new URL('./lmdb-crosscheck.py', import.meta.url));

/** `env.stat()` of py-lmdb. */
export interface LiblmdbStat {
  psize: number;
  depth: number;
  branch_pages: number;
  leaf_pages: number;
  overflow_pages: number;
  entries: number;
}

/** What `lmdb-crosscheck.py` reports (fields by command; see its docstring). */
export interface LiblmdbReport {
  stat: LiblmdbStat;
  entries: number;
  bytes: number;
  ordered: boolean;
  sha256: string;
  info?: { map_size: number; last_pgno: number };
  file_bytes?: number;
  gets?: Array<[number, string] | null>;
  set_range?: Array<string | null>;
  verify_s?: number;
  deleted?: number;
  stat_after_delete?: LiblmdbStat;
  delete_s?: number;
}

/** Whether /usr/bin/python3 can import lmdb; the reason when it cannot. */
export async function liblmdbMissing(): Promise<string | null> {
  try {
    await promisify(execFile)(PYTHON, ['-c', 'import lmdb']);
    return null;
  } catch (err) {
    return `${PYTHON} cannot import lmdb (${(err as Error).message.split('\n')[0]}): install Debian's python3-lmdb (apt-get install python3-lmdb; CI's .ci/run installs it)`;
  }
}

/** Runs `lmdb-crosscheck.py` with `args` and parses its JSON answer. */
export async function runLiblmdb(args: string[], timeoutMs = 120_000): Promise<LiblmdbReport> {
  const { stdout } = await promisify(execFile)(PYTHON, [SCRIPT, ...args], { timeout: timeoutMs, maxBuffer: 64 << 20 });
  return JSON.parse(stdout) as LiblmdbReport;
}

/** sha256 over entries as `lmdb-crosscheck.py` hashes them: u32le key length, u32le value length, key, value. */
export class EntryDigest {
  readonly #hash: Hash = createHash('sha256');
  readonly #lengths = Buffer.alloc(8);
  entries = 0;
  bytes = 0;

  add(key: Uint8Array, value: Uint8Array): void {
    this.#lengths.writeUInt32LE(key.length, 0);
    this.#lengths.writeUInt32LE(value.length, 4);
    this.#hash.update(this.#lengths).update(key).update(value);
    this.entries++;
    this.bytes += key.length + value.length;
  }

  hex(): string {
    return this.#hash.digest('hex');
  }
}
