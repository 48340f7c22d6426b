/**
 * What the e2e tests that drive a listening gateway over real HTTP share: multipart form posts
 * with the session cookie, and the nested lists (C×H×W) that inference answers.
 */

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

/** Flattens nested lists to numbers. */
export const flat = (v: unknown): number[] => (Array.isArray(v) ? v.flatMap(flat) : [v as number]);
/** The shape of a nested list. */
export const shapeOf = (v: unknown): number[] => (Array.isArray(v) ? [v.length, ...shapeOf(v[0])] : []);
