/**
 * Loaded models by `<model id>@<epoch>`, least recently used evicted beyond `capacity`, so a
 * repeated classify call does no load. Concurrent requests for one key share one load.
 */
import type { LoadedModel } from './loaded-model.ts';

export class ModelCache {
  private readonly entries = new Map<string, Promise<LoadedModel>>();

  constructor(private readonly capacity: number) {}

  /** The cached model for `key`, loading it with `load` on a miss. */
  async get(key: string, load: () => Promise<LoadedModel>): Promise<{ loaded: LoadedModel; hit: boolean }> {
    const cached = this.entries.get(key);
    if (cached) {
      this.entries.delete(key);
      this.entries.set(key, cached);
      return { loaded: await cached, hit: true };
    }
    const pending = load();
    this.entries.set(key, pending);
    pending.catch(() => this.entries.delete(key));
    const loaded = await pending;
    await this.evict();
    return { loaded, hit: false };
  }

  private async evict(): Promise<void> {
    while (this.entries.size > this.capacity) {
      const [oldest, entry] = this.entries.entries().next().value!;
      this.entries.delete(oldest);
      (await entry.catch(() => null))?.model.dispose();
    }
  }

  /** Drops every entry of `modelId` (its job was deleted or retrained). */
  async forget(modelId: string): Promise<void> {
    for (const [key, entry] of [...this.entries]) {
      if (!key.startsWith(`${modelId}@`)) continue;
      this.entries.delete(key);
      (await entry.catch(() => null))?.model.dispose();
    }
  }

  async clear(): Promise<void> {
    const all = [...this.entries.values()];
    this.entries.clear();
    for (const entry of all) (await entry.catch(() => null))?.model.dispose();
  }
}
