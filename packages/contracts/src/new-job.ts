/**
 * A job's identity and birth: making and recognising job ids (`YYYYMMDD-HHMMSS-xxxx`, DIGITS'
 * ids, contract §3.1; the pattern is the JobRecord schema's), and the one constructor of a
 * fresh job record. Pure: the caller brings the clock reading and the random suffix (the job
 * store reserves ids).
 */
import { JOBS, queueJobIdOf, type RecordJobName } from './jobs.ts';
import { JOB_ID_PATTERN, type JobRecord } from './job-record.ts';

const JOB_ID = new RegExp(JOB_ID_PATTERN);

/** True when `id` has the form of a job id (so it can name a folder in JOBS_DIR and nothing else). */
export function isJobId(id: string): boolean {
  return JOB_ID.test(id);
}

/** The id of a job created at `now` (server local time, as DIGITS) with a 4-hex-digit `suffix`. */
export function formatJobId(now: Date, suffix: string): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${now.getFullYear()}${p(now.getMonth() + 1)}${p(now.getDate())}-${p(now.getHours())}${p(now.getMinutes())}${p(now.getSeconds())}-${suffix}`;
}

/** What differs between new records; the rest starts the same for every job. */
export interface NewJobRecord {
  id: string;
  /** The job that will do the record's work: its record kind and queue entry come from the catalogue. */
  job: RecordJobName;
  /** DIGITS' type string (`JOB_TYPES`). */
  type: string;
  name: string;
  group: string;
  username: string | null;
  /** Saved form values, for cloning. */
  form: Record<string, unknown>;
  /** Everything the worker needs to (re)do the work. */
  params: unknown;
  /** A model's dataset. */
  datasetId?: string | null;
  /** `W` for a model created while its dataset still builds. */
  status?: 'I' | 'W';
  /** Creation time, Unix seconds. */
  created: number;
  /** The kind-specific empty state (`generic`, `analyzeDbTasks`). */
  state?: Partial<Pick<JobRecord, 'generic' | 'analyzeDbTasks'>>;
}

/** A fresh record at revision 0: its first status in its history, no progress, no error yet. */
export function newJobRecord(spec: NewJobRecord): JobRecord {
  const { id, job, created } = spec;
  const kind = JOBS[job].record;
  const status = spec.status ?? 'I';
  return {
    v: 1, rev: 0, id, kind, type: spec.type,
    name: spec.name, group: spec.group, username: spec.username, notes: null, created,
    status, statusHistory: [[status, created]], progress: 0, error: null, form: spec.form,
    queueJob: { queue: JOBS[job].queue, id: queueJobIdOf(job, id) },
    datasetId: spec.datasetId ?? null, dataset: null,
    ...(kind === 'model' || kind === 'pretrained' ? { model: null } : {}),
    ...spec.state,
    params: spec.params,
  };
}
