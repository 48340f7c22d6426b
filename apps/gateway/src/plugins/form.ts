/**
 * DIGITS reads every input from form fields, query arguments or uploads. This reads a request's
 * form once (multipart or urlencoded), with the upload limits from config.
 */
import type { FastifyRequest } from 'fastify';

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

/** The form `readForm` read from this request, if it did (a page re-shows what was sent). */
export function formRead(request: FastifyRequest): RequestForm | undefined {
  return readForms.get(request);
}

/** Reads the body's fields and files; the body must not have been consumed yet. */
export async function readForm(request: FastifyRequest): Promise<RequestForm> {
  const form: RequestForm = { fields: {}, lists: {}, files: new Map() };
  readForms.set(request, form);
  if (request.isMultipart()) {
    for await (const part of request.parts()) {
      if (part.type === 'file') {
        const data = await part.toBuffer();
        if (part.filename) form.files.set(part.fieldname, { filename: part.filename, data });
      } else if (typeof part.value === 'string') {
        addField(form, part.fieldname, part.value);
      }
    }
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
