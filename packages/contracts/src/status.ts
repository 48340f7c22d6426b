/** DIGITS' job status codes and the strings clients see (contract §3.2). */
export const STATUS = {
  I: { name: 'Initialized', css: 'warning', running: true },
  W: { name: 'Waiting', css: 'warning', running: true },
  R: { name: 'Running', css: 'info', running: true },
  D: { name: 'Done', css: 'success', running: false },
  A: { name: 'Aborted', css: 'warning', running: false },
  E: { name: 'Error', css: 'danger', running: false },
} as const;

export type StatusCode = keyof typeof STATUS;
export type StatusName = (typeof STATUS)[StatusCode]['name'];

/** One `[status, unix seconds]` entry of a job's history. */
export type StatusHistoryEntry = [StatusCode, number];

/** The exposed name of a status code ('?' for an unknown one, as DIGITS). */
export function statusName(code: string): string {
  return Object.hasOwn(STATUS, code) ? STATUS[code as StatusCode].name : '?';
}

/** True while a job still counts as running (Initialized, Waiting, Running). */
export function isRunningStatus(code: string): boolean {
  return Object.hasOwn(STATUS, code) && STATUS[code as StatusCode].running;
}

/**
 * Appends a status change to a history following DIGITS' rules: the same status twice is a
 * no-op, and a `Waiting` entry followed by `Running` within a second is dropped.
 * Returns the new history (the input is not changed) or null when nothing changed.
 */
export function appendStatus(history: readonly StatusHistoryEntry[], code: StatusCode, now: number): StatusHistoryEntry[] | null {
  const last = history[history.length - 1];
  if (last && last[0] === code) return null;
  const next = history.slice();
  if (last && last[0] === 'W' && code === 'R' && now - last[1] < 1) next.pop();
  next.push([code, now]);
  return next;
}
