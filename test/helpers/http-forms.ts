/**
 * What the e2e tests that drive a listening gateway over real HTTP share: multipart form posts
 * with the session cookie, a model trained through them, and the nested lists (C×H×W) that
 * inference answers.
 */
import type { FastifyInstance } from 'fastify';
import type { Test } from 'tap';
import { expectModelDone } from './stack.ts';

export interface HttpPost {
  status: number;
  text: string;
  /** The parsed JSON for `.json` routes, `{}` otherwise. */
  body: Record<string, unknown>;
}

/** A poster of multipart forms (fields and files) to `base`, as the user of `cookie`, redirects not followed. */
export function httpPoster(base: string, cookie: string) {
  return async (url: string, fields: Record<string, string>, files: Record<string, { name: string; data: Buffer }> = {}): Promise<HttpPost> => {
    const form = new FormData();
    for (const [k, v] of Object.entries(fields)) form.append(k, v);
    for (const [k, f] of Object.entries(files)) form.append(k, new Blob([f.data]), f.name);
    const res = await fetch(`${base}${url}`, { method: 'POST', body: form, headers: { cookie }, redirect: 'manual' });
    const text = await res.text();
    return { status: res.status, text, body: (url.endsWith('.json') ? JSON.parse(text) : {}) as Record<string, unknown> };
  };
}

/** Posts the model form `fields` to `url`, asserts it is accepted and that the job ends Done; returns the model's id. */
export async function trainedModel(t: Pick<Test, 'equal'>, app: FastifyInstance, post: ReturnType<typeof httpPoster>, url: string, fields: Record<string, string>, timeoutMs: number): Promise<string> {
  const model = await post(url, fields);
  t.equal(model.status, 200, JSON.stringify(model.body.errors ?? 'model created'));
  const id = model.body.id as string;
  await expectModelDone(t, app, id, timeoutMs);
  return id;
}

/** Flattens nested lists to numbers. */
export const flat = (v: unknown): number[] => (Array.isArray(v) ? v.flatMap(flat) : [v as number]);
/** The shape of a nested list. */
export const shapeOf = (v: unknown): number[] => (Array.isArray(v) ? [v.length, ...shapeOf(v[0])] : []);
