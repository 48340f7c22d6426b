/** `/login` and `/logout` (contract §2.2). */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { usernameProblem } from '@digits-ts/contracts';
import { arg, readForm, type RequestForm } from '../plugins/form.ts';

/** Where to go after login/logout: arg `next`, else Referer, else `/`; only local paths. */
function nextUrl(request: FastifyRequest, form: RequestForm | null): string {
  let target = arg(request, form, 'next');
  if (target === undefined && request.headers.referer) {
    try {
      const referer = new URL(request.headers.referer);
      target = referer.pathname + referer.search;
    } catch {
      target = undefined;
    }
  }
  // only same-site paths: an open redirect would let a link send people anywhere
  return target && target.startsWith('/') && !target.startsWith('//') && !target.includes('\\') ? target : '/';
}

export async function authRoutes(app: FastifyInstance): Promise<void> {
  app.get('/login', async (request, reply) => reply.page('login', { title: 'Login', next: nextUrl(request, null) }));

  app.post('/login', async (request, reply) => {
    const form = await readForm(request);
    const username = (arg(request, form, 'username') ?? '').trim();
    const next = nextUrl(request, form);
    const problem = usernameProblem(username);
    // DIGITS re-renders the login page with the message and a 200, never JSON
    if (problem) return reply.page('login', { title: 'Login', next, message: problem, value: username });
    request.session.set('username', username);
    return reply.redirect(next, 302);
  });

  const logout = async (request: FastifyRequest, reply: import('fastify').FastifyReply) => {
    const form = request.method === 'POST' ? await readForm(request) : null;
    request.session.delete();
    return reply.redirect(nextUrl(request, form), 302);
  };
  app.get('/logout', logout);
  app.post('/logout', logout);
}
