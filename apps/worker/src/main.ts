/** Worker process entry: config → logger → runners → signal handlers (bounded shutdown). */
import { loadWorkerConfig, loadOrExit } from '@digits-ts/config';
import { Errors } from '@digits-ts/contracts';
import { createLogger } from '@digits-ts/logger';
import { startWorker } from './worker.ts';

const config = loadOrExit(loadWorkerConfig, process.env);
const log = createLogger({ level: config.logLevel, name: 'worker' });
const handle = await startWorker(config, log);

let closing = false;
async function shutdown(signal: string): Promise<void> {
  if (closing) return;
  closing = true;
  log.info({ signal }, 'worker stopping');
  const timer = setTimeout(() => {
    log.error({ running: [...handle.ctx.running.keys()] }, 'shutdown timed out; the queue will hand unfinished jobs to another worker');
    process.exit(1);
  }, config.shutdownTimeoutMs);
  timer.unref();
  // running jobs stop at their next batch (a training checkpoints) and go back to their queue
  const reason = Errors.WORKER_SHUTDOWN(`the worker received ${signal}`);
  for (const controller of handle.ctx.running.values()) controller.abort(reason);
  await handle.close();
  log.info('worker stopped');
  process.exit(0);
}
process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));
