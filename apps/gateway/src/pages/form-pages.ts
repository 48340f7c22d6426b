/** Showing a create form, first empty (defaults or a clone) and again with the server's messages. */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Errors, usernameProblem } from '@digits-ts/contracts';
import { FormError } from '../plugins/errors.ts';
import { arg, formRead } from '../plugins/form.ts';
import { currentUsername } from '../plugins/identity.ts';
import { wantsJson } from '../plugins/negotiation.ts';
import { formSections, unplacedErrors, type FormLayout } from './form-view.ts';

export interface FormPage {
  title: string;
  /** Where the form posts: the same route curl uses. */
  action: string;
  layout: FormLayout;
  intro?: string;
  /** Values to start from (a clone, a preselected dataset) over the defaults. */
  initial?: Record<string, string>;
  resizeExample?: boolean;
}

export function sendFormPage(reply: FastifyReply, page: FormPage, opts: { submitted?: Record<string, string>; errors?: Record<string, string[]> } = {}): Promise<FastifyReply> {
  const errors = opts.errors ?? {};
  const sections = formSections(page.layout, { submitted: opts.submitted ?? null, initial: page.initial ?? {}, errors });
  return reply.page('form-page', {
    ...page,
    sections,
    otherErrors: unplacedErrors(sections, errors),
    errorCount: Object.keys(errors).length,
    scripts: ['/static/js/forms.js'],
  }, Object.keys(errors).length > 0 ? 400 : 200);
}

/**
 * A create route that, for a browser, answers a form error with its page again (HTTP 400, as
 * DIGITS re-rendered it) instead of the bare error list; JSON clients get `{errors}` as before.
 */
export function reshowOnFormError<R extends FastifyRequest>(pageOf: (request: R) => Promise<FormPage>, handler: (request: R, reply: FastifyReply) => Promise<unknown>) {
  return async (request: R, reply: FastifyReply) => {
    try {
      return await handler(request, reply);
    } catch (err) {
      if (!(err instanceof FormError) || wantsJson(request)) throw err;
      return sendFormPage(reply, await pageOf(request), { submitted: formRead(request)?.fields ?? {}, errors: err.errors });
    }
  };
}

/**
 * DIGITS' redirecting login (§2.3) for the "new" pages: a visitor without a username goes to
 * `/login?next=…` (JSON clients get 401); an invalid one is a 400. Null when redirected.
 */
export function pageLogin(request: FastifyRequest, reply: FastifyReply): string | null {
  const username = currentUsername(request, null)?.trim();
  if (!username) {
    if (wantsJson(request)) throw Errors.LOGIN_REQUIRED('You must be logged in to see this page');
    void reply.redirect(`/login?next=${encodeURIComponent(request.url)}`, 302);
    return null;
  }
  const problem = usernameProblem(username);
  if (problem) throw Errors.INVALID_USERNAME(`Invalid username - ${problem}`);
  return username;
}

/** Query values a "new" page starts from: `?clone=<id>` is handled by the caller; these are plain presets. */
export function presets(request: FastifyRequest, names: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of names) {
    const value = arg(request, null, name);
    if (value !== undefined) out[name] = value;
  }
  return out;
}
