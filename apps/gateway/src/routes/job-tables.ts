/** The home-page table routes DIGITS' clients poll (contract §4.1, §5.2, §5.5). */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { isJobId, type JobRecord } from '@digits-ts/contracts';
import { completedJobsBody, type CompletedJobsBody } from '../completed-jobs.ts';
import { loadJob } from '../jobs/load.ts';
import { CompletedJobsSchema, TableDataSchema, tableDict } from '../table-data.ts';

export async function jobTableRoutes(app: FastifyInstance): Promise<void> {
  const services = app.services;

  // built once per read of the store, as /index.json is: list() hands back the same array until
  // a job changes, so clients polling for their job cost one build between changes, not one each
  const bodies = new WeakMap<readonly JobRecord[], CompletedJobsBody>();
  const completed = { summary: 'Every dataset and model as the home page tables list them: running, then finished (§5.2)', tags: ['jobs'], response: { 200: CompletedJobsSchema } };
  // (sent as encoded bytes: the schema documents them)
  app.get('/completed_jobs.json', { schema: completed }, async (_request, reply) => {
    const listed = await services.store.list();
    const now = Date.now() / 1000;
    let body = bodies.get(listed);
    if (!body) bodies.set(listed, (body = completedJobsBody(listed, now)));
    return reply.type('application/json; charset=utf-8').send(body.render(now));
  });

  const tableData = { summary: 'One job\'s home-page table row, as /completed_jobs.json gives it (§5.5)', tags: ['jobs'], response: { 200: TableDataSchema } };
  app.get('/jobs/:id/table_data.json', { schema: tableData }, async (request: FastifyRequest<{ Params: { id: string } }>) => {
    const record = await loadJob(services, request.params.id);
    const datasetId = record.kind === 'model' ? record.datasetId : null;
    const dataset = datasetId !== null && isJobId(datasetId) ? await services.store.get(datasetId) : null;
    // DIGITS builds the row on its own and throws its model_output_fields away
    return { job: tableDict(record, dataset, new Set(), Date.now() / 1000) };
  });
}
