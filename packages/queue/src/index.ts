export * from './redis.ts';
export * from './job-store.ts';
export * from './job-files.ts';
export * from './producer.ts';
export * from './abort.ts';
export * from './runner.ts';
export * from './waiters.ts';
export * from './request-reply.ts';
