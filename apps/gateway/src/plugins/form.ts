/**
 * DIGITS reads every input from form fields, query arguments or uploads. This reads a request's
 * form once (multipart or urlencoded), with the upload limits from config.
 */
import type { FastifyRequest } from 'fastify';
import { Errors, isAppError } from '@digits-ts/contracts';

export interface Upload { filename: string; data: Buffer }

export interface RequestForm {
  /** Last value of each field. */
  fields: Record<string, string>;
  /** Every value of each field, for list fields such as `job_ids[]`. */
  lists: Record<string, string[]>;
  /** Uploads that arrived with a file name (an empty file input is no upload, as in WTForms). */
  files: Map<string, Upload>;
}

function addField(form: RequestForm, name: string, value: string): void {
  form.fields[name] = value;
  (form.lists[name] ??= []).push(value);
}

const readForms = new WeakMap<FastifyRequest, RequestForm>();

/**
 * Limits and Fastify's own errors keep their codes (the error handler maps them); anything else
 * thrown while reading a multipart body is busboy refusing the client's bytes (a cut body, a
 * boundary it never sends, a malformed part header), so it is the client's 400, not our 500.
 */
function bodyError(err: unknown): unknown {
  if (isAppError(err) || String((err as { code?: unknown }).code ?? '').startsWith('FST_')) return err;
  return Errors.BAD_REQUEST(`the multipart body could not be read: ${(err as Error).message}`, { cause: err });
}

/** The form `readForm` read from this request, if it did (a page re-shows what was sent). */
export function formRead(request: FastifyRequest): RequestForm | undefined {
  return readForms.get(request);
}

/** Reads the multipart parts into `form`, refusing a body busboy cannot parse or stalls on. */
async function readParts(request: FastifyRequest, form: RequestForm): Promise<void> {
  const guard = stallGuard(request.raw);
  // busboy caps each field and the number of fields, not their sum (1000 of 1 MB would be held in
  // memory): the fields together may take what one upload may
  const maxFieldBytes = request.server.services.config.uploads.maxBytes;
  let fieldBytes = 0;
  const read = async () => {
    for await (const part of request.parts()) {
      if (part.type === 'file') {
        const data = await part.toBuffer();
        if (part.filename) form.files.set(part.fieldname, { filename: part.filename, data });
      } else if (typeof part.value === 'string') {
        fieldBytes += part.fieldname.length + part.value.length;
        if (fieldBytes > maxFieldBytes) throw Errors.UPLOAD_TOO_LARGE(`upload refused: the form fields add up to more than ${maxFieldBytes} bytes (UPLOAD_MAX_BYTES)`);
        addField(form, part.fieldname, part.value);
      }
    }
  };
  try {
    await Promise.race([read(), guard.stalled]);
  } catch (err) {
    throw bodyError(err);
  } finally {
    guard.stop();
  }
}

/**
 * busboy never finishes, and raises no error, on some malformed part headers (a name holding a
 * bare line feed before a large value): it stops taking bytes, so the body stays paused (or has
 * ended) and the request would hang for good. Four checks in a row (a second) that see no byte
 * move while the body waits on the parser mean it is stuck; counting checks rather than time
 * keeps a blocked event loop from looking like a stuck parser. A client that merely sends
 * slowly keeps the body flowing and is left to the server's timeouts.
 */
function stallGuard(raw: FastifyRequest['raw']): { stalled: Promise<never>; stop(): void } {
  let moved = false;
  let stillChecks = 0;
  const onData = () => { moved = true; };
  raw.on('data', onData);
  let timer: NodeJS.Timeout | undefined;
  const stalled = new Promise<never>((_, reject) => {
    timer = setInterval(() => {
      const waiting = raw.readableEnded || raw.readableFlowing === false;
      stillChecks = moved || !waiting ? 0 : stillChecks + 1;
      moved = false;
      if (stillChecks >= 4) reject(Errors.BAD_REQUEST('the multipart body could not be parsed (a malformed part header?)'));
    }, 250);
  });
  stalled.catch(() => {}); // settled after the race when the parse wins; nobody else listens
  return { stalled, stop: () => { clearInterval(timer); raw.off('data', onData); } };
}

/** Reads the body's fields and files; the body must not have been consumed yet. */
export async function readForm(request: FastifyRequest): Promise<RequestForm> {
  // no prototype: a field named __proto__ or constructor is just a field
  const form: RequestForm = { fields: Object.create(null) as Record<string, string>, lists: Object.create(null) as Record<string, string[]>, files: new Map() };
  readForms.set(request, form);
  if (request.isMultipart()) {
    await readParts(request, form);
    return form;
  }
  const body = request.body;
  if (body && typeof body === 'object') {
    for (const [name, value] of Object.entries(body as Record<string, unknown>)) {
      for (const item of Array.isArray(value) ? value : [value]) {
        if (typeof item === 'string' || typeof item === 'number' || typeof item === 'boolean') addField(form, name, String(item));
      }
    }
  }
  return form;
}

/** An "arg": the query string first, then the form (DIGITS' helper for job_id, username, next …). */
export function arg(request: FastifyRequest, form: RequestForm | null, name: string): string | undefined {
  const query = request.query as Record<string, unknown> | undefined;
  const fromQuery = query?.[name];
  if (typeof fromQuery === 'string') return fromQuery;
  if (Array.isArray(fromQuery) && typeof fromQuery[0] === 'string') return fromQuery[0];
  return form?.fields[name];
}
