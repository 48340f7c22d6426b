/** DIGITS' training series (contract §9.1) as stored on a model record. */
import { Errors } from './errors.ts';
import type { Outputs } from './job-record.ts';
import type { TrainModelPayload } from './jobs.ts';
import type { JobRecord } from './job-record.ts';
import type { TrainModelOptions } from './model-options.ts';

/**
 * Appends `values` at `epoch`: a new epoch opens a new row (every series padded with null),
 * values for the current epoch fill that row. Returns a new map; `outputs` is not changed.
 */
export function appendOutputs(outputs: Outputs, epoch: number, values: Record<string, { kind: string; value: number }>): Outputs {
  const next: Outputs = Object.fromEntries(Object.entries(outputs).map(([k, s]) => [k, { kind: s.kind, values: [...s.values] }]));
  const epochs = (next.epoch ??= { kind: 'Epoch', values: [] });
  if (epochs.values[epochs.values.length - 1] !== epoch) {
    for (const series of Object.values(next)) series.values.push(null);
    epochs.values[epochs.values.length - 1] = epoch;
  }
  const row = epochs.values.length - 1;
  for (const [name, { kind, value }] of Object.entries(values)) {
    const series = (next[name] ??= { kind, values: Array.from({ length: row + 1 }, () => null) });
    series.values[row] = value;
  }
  return next;
}

/**
 * The rows of `outputs` up to and including `epoch`: what a training resumed from a checkpoint
 * at that epoch keeps, so the history it goes on to write continues without overlap.
 */
export function outputsUpTo(outputs: Outputs, epoch: number): Outputs {
  const rows = (outputs.epoch?.values ?? []).filter((e) => e !== null && e <= epoch).length;
  return Object.fromEntries(Object.entries(outputs).map(([k, s]) => [k, { kind: s.kind, values: s.values.slice(0, rows) }]));
}

/** The newest value of a series, or null. */
export function lastOutput(outputs: Outputs, name: string): number | null {
  const values = outputs[name]?.values ?? [];
  for (let i = values.length - 1; i >= 0; i--) if (values[i] !== null && values[i] !== undefined) return values[i]!;
  return null;
}

/** The train-model payload for a model record (its options are stored as the record's params). */
export function trainPayloadOf(record: JobRecord): TrainModelPayload {
  return { v: 1, jobId: record.id, datasetId: record.datasetId ?? '', options: record.params as TrainModelOptions };
}

/**
 * A model's snapshot by epoch (contract §9.2): −1 is the newest, and so is 0 where
 * `zeroIsNewest` (downloads, task statistics; inference looks 0 up literally); any other epoch
 * must match exactly. Throws SNAPSHOT_NOT_FOUND when none does.
 */
export function snapshotOf(record: JobRecord, epoch: number, zeroIsNewest = true): { epoch: number; dir: string } {
  const snapshots = record.model?.snapshots ?? [];
  if (snapshots.length === 0) throw Errors.SNAPSHOT_NOT_FOUND(`model ${record.id} has no snapshots`);
  if (epoch === -1 || (zeroIsNewest && epoch === 0)) return snapshots[snapshots.length - 1]!;
  const match = snapshots.find((s) => s.epoch === epoch);
  if (!match) throw Errors.SNAPSHOT_NOT_FOUND(`Invalid epoch ${epoch} for model ${record.id}; it has ${snapshots.map((s) => s.epoch).join(', ')}`);
  return match;
}
