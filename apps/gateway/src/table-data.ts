/**
 * DIGITS' home-page "table dict" of one job (contract §5.2, §5.5: `/completed_jobs.json` entries
 * and `/jobs/<id>/table_data.json`), built from its record, and the TypeBox schema of it.
 *
 * DIGITS derives status, elapsed and progress from a job's tasks. A job here has no task list:
 * one worker does all its work, so the job is read as a single task whose status history is the
 * job's own. Hence `status` is the job's status (the aggregate over one task is that task), and
 * `elapsed` runs from the first `Running` entry of the history to its latest Done/Aborted/Error
 * entry (to now while none), 0 if it never ran; `progress` is the record's live progress.
 */
import { Type } from 'typebox';
import { isRunningStatus, JOB_TYPES, STATUS, statusName, type JobRecord, type OutputSeries, type Outputs, type StatusCode, type PretrainedParams, type TrainModelOptions } from '@digits-ts/contracts';

/** One table dict: the keys every job has, in DIGITS' order, then those of its kind (§5.2). */
export const TableDictSchema = Type.Object({
  id: Type.String(), name: Type.String(), group: Type.String(), status: Type.String(), status_css: Type.String(),
  submitted: Type.Number(), elapsed: Type.Number(), progress: Type.Integer(), type: Type.Optional(Type.String()),
}, { additionalProperties: true });
/** `GET /jobs/<id>/table_data.json` (§5.5). */
export const TableDataSchema = Type.Object({ job: TableDictSchema });
/** `GET /completed_jobs.json` (§5.2). */
export const CompletedJobsSchema = Type.Object({
  running: Type.Array(TableDictSchema), datasets: Type.Array(TableDictSchema), models: Type.Array(TableDictSchema),
  pretrained_models: Type.Array(TableDictSchema), model_output_fields: Type.Array(Type.String()),
});

export type TableDict = Record<string, unknown> & { id: string; submitted: number; elapsed: number };

/** The statuses that end a task's run in DIGITS' `runtime_of_tasks`. */
const STOPS: ReadonlySet<string> = new Set(['D', 'A', 'E']);

/** When the job ran: its first Running time and its latest stop (null while none); null if it never ran. */
export function runSpan(record: JobRecord): { start: number; stop: number | null } | null {
  const start = record.statusHistory.find(([code]) => code === 'R')?.[1];
  if (start === undefined) return null;
  let stop: number | null = null;
  for (const [code, at] of record.statusHistory) if (STOPS.has(code) && (stop === null || at > stop)) stop = at;
  return { start, stop };
}

/** `submitted`: the job's first status-history time (its creation time when the history is empty). */
export const submittedOf = (record: JobRecord): number => record.statusHistory[0]?.[1] ?? record.created;

/** A series as DIGITS holds it: up to its last reported value (rows opened later for other series are not its own). */
function reported(series: OutputSeries): (number | null)[] {
  let n = series.values.length;
  while (n > 0 && series.values[n - 1] === null) n--;
  return series.values.slice(0, n);
}

/** Python 2's min/max over a series: a gap (None) is smaller than any number, so it is the min. */
function pyMin(values: (number | null)[]): number | null {
  let min = Infinity;
  for (const v of values) {
    if (v === null) return null;
    if (v < min) min = v;
  }
  return min;
}
function pyMax(values: (number | null)[]): number | null {
  let max: number | null = null;
  for (const v of values) if (v !== null && (max === null || v > max)) max = v;
  return max;
}

/** `"<series> (<phase>) last|min|max"` for each series of a phase that holds a value; the keys also go into `fields`. */
function outputKeys(outputs: Outputs, phase: 'train' | 'val', fields: Set<string>): Record<string, number | null> {
  const keys: Record<string, number | null> = {};
  for (const [name, series] of Object.entries(outputs)) {
    const values = reported(series);
    if (values.length === 0) continue;
    const key = `${name} (${phase}) `;
    keys[`${key}last`] = values[values.length - 1]!;
    keys[`${key}min`] = pyMin(values);
    keys[`${key}max`] = pyMax(values);
    for (const end of ['last', 'min', 'max']) fields.add(key + end);
  }
  return keys;
}

/**
 * The first train series other than epoch / learning_rate as DIGITS' combined graph draws it:
 * every k-th value (k = max(1, ⌊epochs reported / 100⌋)), ×100 for accuracy, gaps as `"none"`.
 */
export function sparkline(train: Outputs): (number | 'none')[] | null {
  const first = Object.entries(train).find(([name]) => name !== 'epoch' && name !== 'learning_rate');
  if (!first || !train.epoch) return null;
  const [name, series] = first;
  const stride = Math.max(1, Math.floor(train.epoch.values.length / 100));
  const scale = series.kind.toLowerCase().includes('accuracy') || name.toLowerCase().includes('accuracy') ? 100 : 1;
  return reported(series).filter((_, i) => i % stride === 0).map((v) => (v === null ? 'none' : v * scale));
}

/** The data-extension id a job was built with (extension datasets only). */
function extensionOf(record: JobRecord | null): string | null {
  const extension = record?.kind === 'dataset' ? (record.params as { extension?: unknown } | null)?.extension : undefined;
  return typeof extension === 'string' ? extension : null;
}

/**
 * The table dict of `record`. `dataset` is a model's dataset record (for `extension`; null when
 * gone); the output keys a model adds go into `fields` (`model_output_fields`); `now` is unix seconds.
 */
export function tableDict(record: JobRecord, dataset: JobRecord | null, fields: Set<string>, now: number): TableDict {
  const status = STATUS[record.status as StatusCode];
  const span = runSpan(record);
  const dict: TableDict = {
    id: record.id,
    name: record.name,
    group: record.group,
    status: statusName(record.status),
    status_css: status?.css ?? 'default',
    submitted: submittedOf(record),
    elapsed: span ? (span.stop ?? now) - span.start : 0,
    progress: Math.round(100 * record.progress),
    type: record.kind === 'pretrained' ? 'pretrained_model' : record.kind,
  };
  if (record.type === JOB_TYPES.imageClassificationDataset) dict.backend = (record.params as { backend?: string } | null)?.backend ?? 'lmdb';
  if (record.kind === 'model') dict.dataset_id = record.datasetId;
  const extension = extensionOf(record) ?? (record.kind === 'model' ? extensionOf(dataset) : null);
  if (extension !== null) dict.extension = extension;
  if (record.kind === 'pretrained') {
    // §5.2: pretrained entries add framework, username and has_labels (and name the last two in model_output_fields)
    const options = (record.params as Partial<PretrainedParams> | null)?.options;
    Object.assign(dict, { framework: options?.framework ?? null, username: record.username, has_labels: options?.hasLabels ?? false });
    // only listed (finished) pretrained jobs name these fields
    if (!isRunningStatus(record.status)) fields.add('has_labels').add('username');
  }
  if (record.kind === 'model') {
    dict.framework = (record.params as Partial<TrainModelOptions> | null)?.framework ?? null;
    const model = record.model;
    if (model) {
      Object.assign(dict, outputKeys(model.trainOutputs, 'train', fields), outputKeys(model.valOutputs, 'val', fields));
      const line = sparkline(model.trainOutputs);
      if (line) dict.sparkline = line;
    }
  }
  return dict;
}
