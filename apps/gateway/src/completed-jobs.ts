/**
 * `GET /completed_jobs.json` (contract §5.2): the home-page tables of one read of the job store,
 * encoded once per read. Only the `elapsed` of a job that is running right now (it reached
 * Running and has not stopped) moves with the clock; those entries are re-encoded per answer,
 * every other byte is reused until a job changes.
 */
import { isRunningStatus, isJobId, type JobRecord } from '@digits-ts/contracts';
import { runSpan, submittedOf, tableDict, type TableDict } from './table-data.ts';

/** An entry whose `elapsed` is now − `start`. */
interface LiveEntry { dict: TableDict; start: number }

/** The answer of one read: `render(now)` gives the body at that time (unix seconds). */
export interface CompletedJobsBody { render(now: number): Buffer }

/** The model's dataset record from the same read, or null (a model's `extension` is its dataset's). */
function datasetOf(record: JobRecord, byId: ReadonlyMap<string, JobRecord>): JobRecord | null {
  return record.kind === 'model' && record.datasetId !== null && isJobId(record.datasetId) ? byId.get(record.datasetId) ?? null : null;
}

/** Builds the body of `listed` (every stored job; inference jobs are never stored, so none appear). */
export function completedJobsBody(listed: readonly JobRecord[], now: number): CompletedJobsBody {
  const byId = new Map(listed.map((r) => [r.id, r]));
  const fields = new Set<string>();
  // newest submission first in every list (a stable sort keeps the store's order on ties)
  const records = [...listed].sort((a, b) => submittedOf(b) - submittedOf(a));
  const entries = records.map((record) => {
    const span = runSpan(record);
    return { record, dict: tableDict(record, datasetOf(record, byId), fields, now), liveSince: span && span.stop === null ? span.start : null };
  });
  type Entry = (typeof entries)[number];
  const running = (kind: JobRecord['kind']) => (e: Entry) => e.record.kind === kind && isRunningStatus(e.record.status);
  const finished = (kind: JobRecord['kind']) => (e: Entry) => e.record.kind === kind && !isRunningStatus(e.record.status);

  // the body as text pieces and live entries, adjacent text merged
  const pieces: (string | LiveEntry)[] = [];
  const text = (s: string) => {
    if (typeof pieces[pieces.length - 1] === 'string') pieces[pieces.length - 1] += s;
    else pieces.push(s);
  };
  const list = (key: string, listEntries: Entry[]) => {
    text(`${JSON.stringify(key)}:[`);
    listEntries.forEach((e, i) => {
      if (i > 0) text(',');
      if (e.liveSince === null) text(JSON.stringify(e.dict));
      else pieces.push({ dict: e.dict, start: e.liveSince });
    });
    text('],');
  };
  text('{');
  list('running', [...entries.filter(running('dataset')), ...entries.filter(running('model'))]);
  list('datasets', entries.filter(finished('dataset')));
  list('models', entries.filter(finished('model')));
  // a pretrained job still being imported appears nowhere (§5.2)
  list('pretrained_models', entries.filter(finished('pretrained')));
  text(`"model_output_fields":${JSON.stringify([...fields].sort())}}`);

  if (pieces.length === 1) {
    const body = Buffer.from(pieces[0] as string);
    return { render: () => body };
  }
  return {
    render: (at) => Buffer.from(pieces.map((p) => (typeof p === 'string' ? p : JSON.stringify({ ...p.dict, elapsed: at - p.start }))).join('')),
  };
}
