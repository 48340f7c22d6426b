/**
 * A small HTTP client for the gateway: base URL, the session cookie, DIGITS' forms as
 * multipart bodies, and the error envelopes (contract §1.2–1.3) turned into readable errors.
 */

/** The server answered with a refusal (4xx/5xx) or could not be reached: exit code 1. */
export class ServerError extends Error {
  override name = 'ServerError';
  constructor(message: string, readonly status: number | null, readonly body: unknown = null) {
    super(message);
  }
}

type Envelope = { error?: unknown; errors?: Record<string, string[]>; code?: string };

/** Cuts an HTML or text body down to its words, for errors that are not JSON. */
function textOf(body: string): string {
  return body.replace(/<[^>]*>/g, ' ').replace(/\s+/g, ' ').trim().slice(0, 300);
}

/** One readable message from whatever the server sent back with a refusal. */
export function describeRefusal(status: number, text: string): { message: string; body: unknown } {
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    return { message: `HTTP ${status}${text.trim() ? `: ${textOf(text)}` : ''}`, body };
  }
  const envelope = (body ?? {}) as Envelope;
  if (envelope.errors && typeof envelope.errors === 'object') {
    const lines = Object.entries(envelope.errors).map(([field, messages]) => `  ${field}: ${[messages].flat().join(' ')}`);
    return { message: `the server refused the form (${status}${envelope.code ? ` ${envelope.code}` : ''}):\n${lines.join('\n')}`, body };
  }
  if (envelope.error && typeof envelope.error === 'object') {
    const e = envelope.error as { message?: string; description?: string; code?: string; details?: unknown };
    const tokenCode = e.code === 'AUTH_TOKEN_REQUIRED' || e.code === 'AUTH_TOKEN_INVALID';
    const hint = status !== 401 ? '' : tokenCode ? '\n  this server wants an API token: export DIGITS_TOKEN=<token>' : '\n  log in first: digits-ts login <username>';
    const reasons = lineErrors(body).map(([source, reason]) => `\n  ${source}: ${reason.message} [${reason.code}]`).join('');
    return { message: `${e.description ?? e.message ?? 'refused'} (${[status, e.code].filter(Boolean).join(' ')})${reasons}${hint}`, body };
  }
  if (typeof envelope.error === 'string') return { message: envelope.error, body };
  return { message: `HTTP ${status}: ${textOf(text)}`, body };
}

/** Why each input of a list failed: `[source, {code, message}]` from an error's `details.errors` (inference routes). */
export function lineErrors(body: unknown): [string, { code: string; message: string }][] {
  const errors = (body as { error?: { details?: { errors?: unknown } } } | null)?.error?.details?.errors;
  if (!errors || typeof errors !== 'object') return [];
  return Object.entries(errors as Record<string, { code?: unknown; message?: unknown }>)
    .filter(([, e]) => typeof e?.message === 'string')
    .map(([source, e]) => [source, { code: String(e.code ?? ''), message: e.message as string }]);
}

/** A form field value: text, or a file's bytes with its name (as `curl -F name=@file`). */
export type FieldValue = string | { filename: string; data: Uint8Array };

/** How one request is sent and which answers count as refusals. */
export interface RequestOptions {
  query?: Record<string, string | undefined>;
  /** Sent as multipart/form-data, like `curl -F`. */
  form?: [string, FieldValue][];
  /** Sent as application/x-www-form-urlencoded. */
  urlencoded?: Record<string, string>;
  /** Don't follow redirects (login, logout). */
  manualRedirect?: boolean;
  /** Accept any status; the caller looks at it. */
  anyStatus?: boolean;
}

/** The gateway at `server`, with the session cookie when logged in and the API token (AUTH_MODE=token) when given. */
export class Client {
  constructor(readonly server: URL, public cookie: string | null, private readonly fetchFn: typeof fetch = fetch, private readonly token: string | null = null) {}

  /** `path` relative to the server root, with the query's defined values. */
  url(path: string, query: Record<string, string | undefined> = {}): URL {
    const url = new URL(path.replace(/^\//, ''), this.server.href.endsWith('/') ? this.server : `${this.server.href}/`);
    for (const [key, value] of Object.entries(query)) if (value !== undefined) url.searchParams.set(key, value);
    return url;
  }

  /** Sends one request; a refusal (status ≥ 400) throws a ServerError unless `anyStatus`. */
  async request(method: string, path: string, options: RequestOptions = {}): Promise<Response> {
    // Accept: JSON, so routes without a `.json` flavour answer errors as JSON too (§1.1)
    const headers: Record<string, string> = { accept: 'application/json' };
    if (this.cookie) headers.cookie = `username=${this.cookie}`;
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    let body: FormData | URLSearchParams | undefined;
    if (options.form) {
      const form = new FormData();
      for (const [name, value] of options.form) {
        if (typeof value === 'string') form.append(name, value);
        else form.append(name, new Blob([value.data]), value.filename);
      }
      body = form;
    } else if (options.urlencoded) {
      body = new URLSearchParams(options.urlencoded);
    }
    const url = this.url(path, options.query);
    let response: Response;
    try {
      response = await this.fetchFn(url, { method, headers, body, redirect: options.manualRedirect ? 'manual' : 'follow' });
    } catch (err) {
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      throw new ServerError(`cannot reach ${this.server.origin}: ${cause?.code ?? cause?.message ?? (err as Error).message}`, null);
    }
    if (response.status >= 400 && !options.anyStatus) {
      const { message, body: parsed } = describeRefusal(response.status, await response.text());
      throw new ServerError(message, response.status, parsed);
    }
    return response;
  }

  /** A request whose answer is JSON: the parsed value and the raw text (for `--json`). */
  async json<T>(method: string, path: string, options: RequestOptions = {}): Promise<{ body: T; raw: string }> {
    const response = await this.request(method, path, options);
    const raw = await response.text();
    try {
      return { body: JSON.parse(raw) as T, raw };
    } catch {
      throw new ServerError(`expected JSON from ${method} ${path}, got: ${raw.slice(0, 200)}`, response.status, raw);
    }
  }
}
