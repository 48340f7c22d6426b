/**
 * The session cookie `POST /login` sets (`username`, contract §2.2), kept in a Netscape cookie
 * file, the format of `curl -c`, so `curl -b ~/.digits-ts/cookie …` works with the same login.
 * One line per server host; other hosts' lines are kept.
 */
import fs from 'node:fs/promises';
import path from 'node:path';

const HEADER = '# Netscape HTTP Cookie File\n# written by digits-ts; holds the DIGITS session cookie\n';
const COOKIE = 'username';

interface Line { host: string; name: string; value: string; raw: string }

/** Parses one cookie line (`#HttpOnly_` lines included); null for comments and blanks. */
function parseLine(raw: string): Line | null {
  const line = raw.startsWith('#HttpOnly_') ? raw.slice('#HttpOnly_'.length) : raw;
  if (line.trim() === '' || line.startsWith('#')) return null;
  const cells = line.split('\t');
  if (cells.length < 7) return null;
  return { host: cells[0]!.replace(/^\./, ''), name: cells[5]!, value: cells.slice(6).join('\t'), raw };
}

async function readLines(file: string): Promise<string[]> {
  try {
    return (await fs.readFile(file, 'utf8')).split('\n');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}

/** The session cookie stored for `server`'s host, or null when not logged in there. */
export async function readSessionCookie(file: string, server: URL): Promise<string | null> {
  for (const raw of await readLines(file)) {
    const line = parseLine(raw);
    if (line && line.host === server.hostname && line.name === COOKIE && line.value !== '') return line.value;
  }
  return null;
}

/** Stores (or, with null, forgets) the session cookie for `server`'s host; the file is private to the user. */
export async function writeSessionCookie(file: string, server: URL, value: string | null): Promise<void> {
  const kept = (await readLines(file)).filter((raw) => {
    const line = parseLine(raw);
    return line !== null && !(line.host === server.hostname && line.name === COOKIE);
  });
  // expiry 0: a session cookie, as the gateway sets it
  if (value !== null) kept.push(`#HttpOnly_${server.hostname}\tFALSE\t/\t${server.protocol === 'https:' ? 'TRUE' : 'FALSE'}\t0\t${COOKIE}\t${value}`);
  await fs.mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  await fs.writeFile(file, HEADER + kept.map((l) => `${l}\n`).join(''), { mode: 0o600 });
  // writeFile keeps an existing file's mode; the cookie is a credential
  await fs.chmod(file, 0o600);
}

/** The `username` cookie's value from a response's Set-Cookie headers, if it sets one. */
export function sessionCookieOf(setCookies: string[]): string | null {
  for (const header of setCookies) {
    const pair = header.split(';')[0] ?? '';
    const eq = pair.indexOf('=');
    if (eq > 0 && pair.slice(0, eq).trim() === COOKIE) return pair.slice(eq + 1).trim();
  }
  return null;
}
