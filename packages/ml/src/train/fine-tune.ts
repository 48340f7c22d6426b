/** `method=previous`: start from another model's snapshot (contract §8.1, §8.3). */
import { copyMatchingWeights, type BuiltNetwork } from '../networks/index.ts';
import { loadModel } from './snapshot.ts';

/**
 * Copies every layer of the snapshot in `snapshotDir` whose name and shapes match into
 * `network`; a classifier for a different number of classes starts fresh (DIGITS renames it
 * `<name>_retrain`). Returns the layer names copied and skipped.
 */
export async function loadPreviousWeights(network: BuiltNetwork, snapshotDir: string): Promise<{ copied: string[]; skipped: string[] }> {
  const previous = await loadModel(snapshotDir);
  try {
    return copyMatchingWeights(previous, network.model);
  } finally {
    previous.dispose();
  }
}
