/**
 * The web pages' machinery: Eta templates (@fastify/view), static assets (@fastify/static, uPlot
 * straight from its package: no front-end build), and CSRF tokens for cookie sessions
 * (@fastify/csrf-protection keeps the secret in the secure session).
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import csrfProtection from '@fastify/csrf-protection';
import staticFiles from '@fastify/static';
import view from '@fastify/view';
import { Eta } from 'eta';
import { sessionUsername } from '../plugins/identity.ts';
import { templateHelpers } from './helpers.ts';

const appDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const uplotDir = path.dirname(createRequire(import.meta.url).resolve('uplot/dist/uPlot.iife.min.js'));

declare module 'fastify' {
  interface FastifyReply {
    /** Renders `template` inside the layout and sends it as HTML. */
    page(template: string, data: Record<string, unknown>, status?: number): Promise<FastifyReply>;
  }
}

/** What every page's layout needs: who is logged in, the CSRF token for its forms, where we are. */
function layoutData(request: FastifyRequest, reply: FastifyReply) {
  const username = sessionUsername(request);
  return { username, csrf: username ? reply.generateCsrf() : '', path: request.url.split('?')[0] ?? '/', h: templateHelpers };
}

async function pagesPlugin(app: FastifyInstance): Promise<void> {
  await app.register(csrfProtection, { sessionPlugin: '@fastify/secure-session' });
  // templates are compiled once and kept; the jobs folder never feeds a template name
  // production: compile each template once (otherwise @fastify/view has Eta re-read every include on every render)
  await app.register(view, { engine: { eta: new Eta({ views: path.join(appDir, 'views'), cache: true }) }, root: path.join(appDir, 'views'), production: true });
  // @fastify/static declares its own routes: their docs are added as they are registered
  const assets: Record<string, string> = { '/static/*': 'The pages\' stylesheet and scripts', '/static/vendor/uplot/*': 'uPlot, the chart library of the training graphs' };
  app.addHook('onRoute', (route) => {
    const summary = assets[route.url];
    if (summary) route.schema = { ...route.schema, summary, tags: ['pages'], hide: false };
  });
  await app.register(staticFiles, { root: path.join(appDir, 'public'), prefix: '/static/', maxAge: '1h', schemaHide: false });
  await app.register(staticFiles, { root: uplotDir, prefix: '/static/vendor/uplot/', decorateReply: false, allowedPath: (p) => /^\/uPlot\.(iife\.min\.js|min\.css)$/.test(p), maxAge: '1d', schemaHide: false });
  app.decorateReply('page', async function page(this: FastifyReply, template: string, data: Record<string, unknown>, status = 200) {
    const html = await app.view(template, { ...layoutData(this.request, this), ...data });
    return this.code(status).type('text/html; charset=utf-8').send(html);
  });
}
// not encapsulated: the reply decorator must reach every route plugin
export const pages = fp(pagesPlugin, { name: 'pages' });
