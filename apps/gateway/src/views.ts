/** DIGITS' JSON shapes (contract §5) built from job records. */
import path from 'node:path';
import { isRunningStatus, statusName, type JobRecord } from '@digits-ts/contracts';

/** DIGITS' version string, which clients may check. */
export const DIGITS_VERSION = '6.1.1';

/** `{id, name, status}` — every job's base dict. */
export function baseDict(record: JobRecord) {
  return { id: record.id, name: record.name, status: statusName(record.status) };
}

/** Local time as `YYYY-MM-DD HH:MM:SS.ffffff`, DIGITS' `creation time`. */
function creationTime(unixSeconds: number): string {
  const d = new Date(unixSeconds * 1000);
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds() * 1000, 6)}`;
}

/** Detailed dataset dict (§5.3): tasks and directory, for `GET /datasets/<id>.json`. */
export function datasetDetail(record: JobRecord, jobsDir: string) {
  const state = record.dataset;
  return {
    ...baseDict(record),
    directory: path.join(jobsDir, record.id),
    ParseFolderTasks: state?.parseFolderTasks ?? [],
    CreateDbTasks: (state?.createDbTasks ?? []).map((task) => ({
      name: task.name,
      entries: task.entries,
      // DIGITS' quirk, kept on purpose: image_width holds dims[0] (the height) and vice versa
      image_width: task.image_dims[0] ?? null,
      image_height: task.image_dims[1] ?? null,
      image_channels: task.image_dims[2] ?? null,
      backend: task.backend,
      encoding: task.encoding,
      compression: task.compression,
    })),
    // ours, not DIGITS': what could not be read, and why the job failed
    skipped_images: { count: state?.skippedCount ?? 0, items: state?.skipped ?? [] },
    ...(record.error ? { error: record.error } : {}),
  };
}

/** Model dict, non-detailed (§5.4): the keys that exist before training reports anything. */
export function modelDict(record: JobRecord) {
  return {
    ...baseDict(record),
    dataset_id: record.datasetId,
    'job id': record.id,
    'creation time': creationTime(record.created),
    username: record.username,
  };
}

/** Running jobs first, then finished ones; newest first within each group (§5.1). */
export function indexOrder(records: JobRecord[]): JobRecord[] {
  const byNewest = [...records].sort((a, b) => b.created - a.created);
  return [...byNewest.filter((r) => isRunningStatus(r.status)), ...byNewest.filter((r) => !isRunningStatus(r.status))];
}
