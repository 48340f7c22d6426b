/** DIGITS' JSON-vs-HTML decision (contract §1.1). */
import type { FastifyRequest } from 'fastify';

function quality(accept: string, type: string): number {
  let best = -1;
  let q = 0;
  for (const part of accept.split(',')) {
    const [range = '', ...params] = part.trim().split(';');
    const [main, sub] = range.trim().toLowerCase().split('/');
    const [tMain, tSub] = type.split('/');
    const specificity = main === tMain && sub === tSub ? 2 : main === tMain && sub === '*' ? 1 : main === '*' && sub === '*' ? 0 : -1;
    if (specificity < best || specificity < 0) continue;
    const qParam = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    best = specificity;
    q = qParam ? Number(qParam.slice(2)) || 0 : 1;
  }
  return q;
}

/** True when the path ends in `.json`, or Accept prefers application/json strictly over text/html. */
export function wantsJson(request: FastifyRequest): boolean {
  const pathOnly = request.url.split('?')[0] ?? '';
  if (pathOnly.endsWith('.json')) return true;
  const accept = request.headers.accept;
  if (!accept) return false;
  return quality(accept, 'application/json') > quality(accept, 'text/html');
}
