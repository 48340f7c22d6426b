/**
 * The queue package's one public entry: everything the apps use of Redis and BullMQ. Its rooms:
 * - `redis.ts`   the one place Redis connections are made, and the store's key scheme;
 * - `bullmq/`    queue plumbing: typed enqueueing, the worker runner, request/reply, abort signals;
 * - `store/`     the job store: records in Redis mirrored to job.json files, and change notices;
 * - `placement/` where work runs: live workers, training placement, models waiting for datasets, requeueing;
 * - `tokens/`    API tokens for AUTH_MODE=token.
 */
export * from './redis.ts';
export * from './store/job-store.ts';
export * from './store/job-files.ts';
export * from './store/job-events.ts';
export * from './bullmq/producer.ts';
export * from './bullmq/abort.ts';
export * from './bullmq/runner.ts';
export * from './bullmq/request-reply.ts';
export * from './placement/waiters.ts';
export * from './placement/worker-registry.ts';
export * from './placement/training-placement.ts';
export * from './placement/requeue.ts';
export * from './tokens/api-tokens.ts';
