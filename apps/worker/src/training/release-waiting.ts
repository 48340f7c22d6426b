/** When a dataset build ends, the models waiting for it start — or fail with it (contract §12). */
import { isRunningStatus, trainPayloadOf } from '@digits-ts/contracts';
import { takeDatasetWaiters } from '@digits-ts/queue';
import type { WorkerContext } from '../context.ts';

/** Enqueues (dataset Done) or aborts (dataset failed) every model waiting for `datasetId`. */
export async function releaseWaitingModels(ctx: WorkerContext, datasetId: string, datasetDone: boolean): Promise<void> {
  for (const modelId of await takeDatasetWaiters(ctx.redis, ctx.config.redis.prefix, datasetId)) {
    const record = await ctx.store.get(modelId);
    if (!record || !isRunningStatus(record.status)) continue;
    if (datasetDone) {
      await ctx.producer.enqueue('train-model', trainPayloadOf(record));
    } else {
      await ctx.store.setStatus(modelId, 'A', { code: 'DATASET_BUILD_FAILED', message: `its dataset ${datasetId} did not finish` });
    }
  }
}
