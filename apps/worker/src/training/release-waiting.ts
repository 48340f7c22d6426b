/** When a dataset build ends, the models waiting for it start — or fail with it (contract §12). */
import { releaseDatasetWaiters } from '@digits-ts/queue';
import type { WorkerContext } from '../context.ts';

/** Enqueues (dataset Done) or aborts (dataset failed) every model waiting for `datasetId`. */
export function releaseWaitingModels(ctx: WorkerContext, datasetId: string, datasetDone: boolean): Promise<void> {
  return releaseDatasetWaiters({ store: ctx.store, producer: ctx.producer, redis: ctx.redis, prefix: ctx.config.redis.prefix }, datasetId, datasetDone);
}
