/**
 * `clone=<job_id>` (contract §1.5), one piece for the "new" pages and the create POSTs: the
 * source job's saved form (`form.<field>.data`) as field texts, and a create form parsed with
 * those texts in place of the submitted ones.
 */
import type { FastifyRequest } from 'fastify';
import { Errors } from '@digits-ts/contracts';
import { coercionErrors, type FormErrors, type FormFields, type FormSpec } from '../forms/index.ts';
import { FormError } from '../plugins/errors.ts';
import { arg, type RequestForm } from '../plugins/form.ts';
import type { Services } from '../services.ts';
import { loadJob } from './load.ts';

/** The `clone` argument, documented beside the forms of the routes that honour it. */
export const CLONE_FIELD: FormSpec = { clone: { kind: 'string' } };

/** A saved value as the text a form field would carry: lists comma-joined, booleans `y`/``, null empty. */
function fieldText(value: unknown): string {
  if (value === null) return '';
  if (Array.isArray(value)) return value.map(fieldText).join(',');
  if (typeof value === 'boolean') return value ? 'y' : '';
  // String(1e21) is "1e+21", which no integer field reads back
  if (typeof value === 'number' && Number.isInteger(value) && Math.abs(value) >= 1e21) return BigInt(value).toString();
  return String(value);
}

/** A saved job form (`form.<field>.data`, §1.5) as field texts. */
export function savedFormText(saved: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const [key, value] of Object.entries(saved)) {
    const match = /^form\.(.+)\.data$/.exec(key);
    if (match && value !== undefined) out[match[1]!] = fieldText(value);
  }
  return out;
}

/**
 * The saved form of the job the `clone` arg names (query string first, then the form), as field
 * texts; null when there is no `clone` arg. DIGITS answers a bad one with a 500 AttributeError on
 * pages and POSTs alike (§1.5); it is the client's mistake, so here it is the 4xx /clone/<id>
 * answers: an unknown id 404 `Job not found`, an empty `clone=` 400, and a job with no saved form
 * (none of ours is without one, but a record written by hand or an older build may be) 400
 * `Invalid job type`.
 */
export async function cloneTexts(services: Services, request: FastifyRequest, form: RequestForm | null): Promise<Record<string, string> | null> {
  const id = arg(request, form, 'clone');
  if (id === undefined) return null;
  if (id.trim() === '') throw Errors.BAD_REQUEST('clone must name a job');
  const record = await loadJob(services, id.trim());
  const texts = savedFormText(record.form);
  if (Object.keys(texts).length === 0) throw Errors.INVALID_JOB_TYPE(`Invalid job type: job ${record.id} has no saved form to clone`);
  return texts;
}

/**
 * Parses a create form the way §1.5 orders it: every field of `spec` the clone saved takes the
 * saved value in place of the submitted one (never merged), the others keep the submitted value
 * or their default; validation then runs on the result. A submitted value that is no number of
 * its kind is still reported though the clone replaced it. Throws the errors as a FormError.
 */
export async function parseCreateForm<T>(services: Services, request: FastifyRequest, form: RequestForm, spec: FormSpec, parse: (fields: FormFields) => { errors: FormErrors } | { form: T }): Promise<T> {
  const clone = await cloneTexts(services, request, form);
  const replaced = clone ? Object.keys(clone).filter((name) => Object.hasOwn(spec, name)) : [];
  // no prototype, as readForm's: a field named constructor is just a field
  const fields: Record<string, string> = Object.assign(Object.create(null) as Record<string, string>, form.fields);
  for (const name of replaced) fields[name] = clone![name]!;
  const parsed = parse(fields);
  const errors: FormErrors = 'errors' in parsed ? { ...parsed.errors } : {};
  for (const [name, messages] of Object.entries(coercionErrors(spec, form.fields, replaced))) errors[name] = [...messages, ...(errors[name] ?? [])];
  if (Object.keys(errors).length > 0) throw new FormError(errors);
  return (parsed as { form: T }).form;
}
