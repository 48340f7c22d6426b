/**
 * `GET /files/<path>`: files under JOBS_DIR only (contract §11.8). No `..`, no hidden files
 * (the session key lives in JOBS_DIR), and no symlink that resolves outside it.
 */
import { createReadStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Errors } from '@digits-ts/contracts';
import { isWithinRoots } from '@digits-ts/config';

const TYPES: Record<string, string> = {
  '.png': 'image/png', '.jpg': 'image/jpeg', '.jpeg': 'image/jpeg', '.txt': 'text/plain; charset=utf-8',
  '.log': 'text/plain; charset=utf-8', '.json': 'application/json',
};

function notFound(): Error {
  return Errors.NOT_FOUND('The requested URL was not found on the server.');
}

export async function fileRoutes(app: FastifyInstance): Promise<void> {
  const jobsDir = app.services.config.jobsDir;
  app.get('/files/*', { schema: { summary: 'Files of the jobs folder (§11.8)', tags: ['jobs'] } }, async (request: FastifyRequest<{ Params: { '*': string } }>, reply) => {
    const relative = request.params['*'];
    const segments = relative.split(/[\\/]/);
    if (relative.includes('\0') || segments.some((s) => s === '..' || s.startsWith('.'))) throw notFound();
    let real: string;
    try {
      real = await fs.realpath(path.join(jobsDir, ...segments));
      if (!isWithinRoots(real, [await fs.realpath(jobsDir)]) || !(await fs.stat(real)).isFile()) throw notFound();
    } catch {
      throw notFound();
    }
    const type = TYPES[path.extname(real).toLowerCase()] ?? 'application/octet-stream';
    // nosniff: a stored file must never be sniffed into an HTML page
    return reply.type(type).header('x-content-type-options', 'nosniff').send(createReadStream(real));
  });
}
