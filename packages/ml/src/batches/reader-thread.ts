/**
 * The one reader thread (`reader-thread-entry.ts`) that every streamed split of this process
 * shares: starting a thread costs about a second of module loading, and a training's train and
 * val splits are never read at the same time. Held while any split is open; idle, it lets the
 * process exit, and stops after IDLE_MS.
 */
import { Worker } from 'node:worker_threads';
import { Errors, errorOfCode } from '@digits-ts/contracts';
import type { ReaderCall, ReaderReply, ReaderRequest } from './reader-protocol.ts';

/** How long an unused reader thread stays up for the next split. */
const IDLE_MS = 60_000;

export class ReaderThread {
  static #shared: Promise<ReaderThread> | null = null;
  static #current: ReaderThread | null = null;
  #holders = 0;
  #idle: NodeJS.Timeout | null = null;
  #nextId = 0;
  readonly #replies = new Map<number, (reply: ReaderReply) => void>();
  #failure: Error | null = null;

  private constructor(private readonly worker: Worker) {
    worker.on('message', (reply: ReaderReply) => this.#settle(reply));
    worker.on('error', (err) => this.#fail(err));
    worker.on('exit', (code) => this.#fail(new Error(`the dataset reader thread exited with code ${code}`)));
  }

  /** The shared thread, started if need be; `release` it when done. */
  static async acquire(): Promise<ReaderThread> {
    ReaderThread.#shared ??= ReaderThread.#start();
    const thread = await ReaderThread.#shared;
    if (thread.#idle) clearTimeout(thread.#idle);
    thread.#idle = null;
    if (thread.#holders++ === 0) thread.worker.ref();
    return thread;
  }

  static async #start(): Promise<ReaderThread> {
    const worker = new Worker(new URL('../train/replica-bootstrap.mjs', import.meta.url), { workerData: { entry: new URL('./reader-thread-entry.ts', import.meta.url).href } });
    const thread = new ReaderThread(worker);
    try {
      await thread.#reply(-1);
      ReaderThread.#current = thread;
      return thread;
    } catch (err) {
      ReaderThread.#shared = null;
      await worker.terminate();
      throw err;
    }
  }

  release(): void {
    if (--this.#holders > 0) return;
    this.worker.unref();
    this.#idle = setTimeout(() => {
      this.#forget();
      this.worker.removeAllListeners('exit');
      void this.worker.terminate();
    }, IDLE_MS).unref();
  }

  #settle(reply: ReaderReply): void {
    const resolve = this.#replies.get(reply.id);
    this.#replies.delete(reply.id);
    resolve?.(reply);
  }

  /** The next split starts a fresh thread. */
  #forget(): void {
    if (ReaderThread.#current !== this) return;
    ReaderThread.#current = null;
    ReaderThread.#shared = null;
  }

  #fail(err: Error): void {
    this.#failure ??= err;
    this.#forget();
    for (const id of [...this.#replies.keys()]) this.#settle({ id, ok: false, message: err.message });
  }

  /** Resolves when request `id` is done; rejects with its error (an AppError keeps its code). */
  #reply(id: number): Promise<void> {
    if (this.#failure) return Promise.reject(Errors.INTERNAL(`the dataset reader thread failed: ${this.#failure.message}`));
    return new Promise((resolve, reject) => {
      this.#replies.set(id, (r) => (r.ok ? resolve() : reject((r.code && errorOfCode(r.code, r.message)) || Errors.INTERNAL(`reading the dataset failed: ${r.message}`))));
    });
  }

  /** Sends `request`; resolves when the thread has done it. */
  send(request: ReaderCall): Promise<void> {
    const id = this.#nextId++;
    const done = this.#reply(id);
    this.worker.postMessage({ ...request, id } satisfies ReaderRequest);
    return done;
  }

  /** Sends a request that has no reply. */
  post(request: Extract<ReaderRequest, { kind: 'close' }>): void {
    this.worker.postMessage(request);
  }
}
