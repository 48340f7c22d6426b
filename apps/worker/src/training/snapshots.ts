/** Picking a model's snapshot by epoch as DIGITS does (contract §9.2). */
import { Errors, type JobRecord } from '@digits-ts/contracts';

/** −1, 0 (here: for weights, 0 is handled by the caller) or a missing epoch → newest; else an exact match. */
export function snapshotOf(record: JobRecord, epoch: number): { epoch: number; dir: string } {
  const snapshots = record.model?.snapshots ?? [];
  if (snapshots.length === 0) throw Errors.SNAPSHOT_NOT_FOUND(`model ${record.id} has no snapshots`);
  if (epoch === -1 || epoch === 0) return snapshots[snapshots.length - 1]!;
  const match = snapshots.find((s) => s.epoch === epoch);
  if (!match) throw Errors.SNAPSHOT_NOT_FOUND(`Invalid epoch ${epoch} for model ${record.id}; it has ${snapshots.map((s) => s.epoch).join(', ')}`);
  return match;
}
