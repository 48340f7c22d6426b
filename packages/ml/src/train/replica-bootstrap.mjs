// Worker threads start before tsx's ESM hooks reach them, so a .ts entry cannot be the thread's
// own entry: register tsx here, then load the TypeScript entry named in workerData.
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
await import(workerData.entry);
