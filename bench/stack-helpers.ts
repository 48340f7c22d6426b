/** What the stack benchmarks share: a logged-in form poster and waiting for a job to finish. */
import type { FastifyInstance } from 'fastify';

/** Polls a job until Done; throws with its JSON when it ends otherwise. */
export async function waitDone(app: FastifyInstance, id: string): Promise<void> {
  for (;;) {
    const { status } = (await app.inject(`/jobs/${id}/status`)).json() as { status: string };
    if (status === 'Done') return;
    if (!['Initialized', 'Waiting', 'Running'].includes(status)) throw new Error(`job ${id} ended ${status}: ${(await app.inject(`/jobs/${id}`)).body}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Logs in as `bench`; returns a builder of urlencoded form requests carrying the session. */
export async function benchForm(app: FastifyInstance): Promise<(fields: Record<string, string>) => { payload: string; headers: Record<string, string> }> {
  const cookie = (await app.inject({ method: 'POST', url: '/login', payload: 'username=bench', headers: { 'content-type': 'application/x-www-form-urlencoded' } })).headers['set-cookie']!.toString().split(';')[0]!;
  return (fields) => ({ payload: new URLSearchParams(fields).toString(), headers: { 'content-type': 'application/x-www-form-urlencoded', cookie } });
}
