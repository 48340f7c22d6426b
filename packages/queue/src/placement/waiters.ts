/**
 * Models created on a dataset that is still building wait (`Waiting`, contract §12). Their ids
 * sit in a Redis set per dataset until the build ends; whoever sees it end releases them.
 */
import { storeKey, type Redis } from '../redis.ts';

const key = (prefix: string, datasetId: string) => storeKey(prefix, 'waiting', datasetId);

/** Registers model `modelId` as waiting for dataset `datasetId`. */
export async function addDatasetWaiter(redis: Redis, prefix: string, datasetId: string, modelId: string): Promise<void> {
  await redis.sadd(key(prefix, datasetId), modelId);
}

/** Removes and returns every model waiting for `datasetId` (atomically, so each is released once). */
export async function takeDatasetWaiters(redis: Redis, prefix: string, datasetId: string): Promise<string[]> {
  const result = await redis.multi().smembers(key(prefix, datasetId)).del(key(prefix, datasetId)).exec();
  const members = result?.[0]?.[1];
  return Array.isArray(members) ? (members as string[]).sort() : [];
}
