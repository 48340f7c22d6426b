/** What the home page's tables show of a job, also sent live over `GET /jobs/events`. */
import { isRunningStatus, statusName, type JobRecord, type PretrainedParams, type TrainModelOptions } from '@digits-ts/contracts';

export interface JobRow {
  id: string;
  kind: JobRecord['kind'];
  name: string;
  group: string;
  type: string;
  owner: string | null;
  status: string;
  running: boolean;
  /** 0–100. */
  progress: number;
  created: number;
  /** Seconds from creation to the end (or to now while it runs). */
  elapsed: number;
  framework: string | null;
  datasetId: string | null;
  datasetName: string | null;
  /** Best validation accuracy reached, 0–100, when the network reports one. */
  bestAccuracy: number | null;
  error: string | null;
}

/** The highest value of the first `Accuracy` series of the validation outputs. */
export function bestAccuracy(record: JobRecord): number | null {
  const series = Object.values(record.model?.valOutputs ?? {}).find((s) => s.kind === 'Accuracy');
  const values = (series?.values ?? []).filter((v): v is number => typeof v === 'number');
  return values.length === 0 ? null : Math.round(Math.max(...values) * 10000) / 100;
}

export function jobRow(record: JobRecord, dataset: JobRecord | null, now = Date.now() / 1000): JobRow {
  const running = isRunningStatus(record.status);
  const ended = running ? now : (record.statusHistory.at(-1)?.[1] ?? now);
  return {
    id: record.id,
    kind: record.kind,
    name: record.name,
    group: record.group,
    type: record.type,
    owner: record.username,
    status: statusName(record.status),
    running,
    progress: Math.round(record.progress * 100),
    created: record.created,
    elapsed: Math.max(0, ended - record.created),
    framework: record.kind === 'model' ? ((record.params as Partial<TrainModelOptions> | null)?.framework ?? null)
      : record.kind === 'pretrained' ? ((record.params as Partial<PretrainedParams> | null)?.options?.framework ?? null) : null,
    datasetId: record.datasetId,
    datasetName: dataset?.name ?? null,
    bestAccuracy: bestAccuracy(record),
    error: record.error?.message ?? null,
  };
}
