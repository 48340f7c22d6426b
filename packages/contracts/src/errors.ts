/**
 * The error catalogue. Codes are API: never rename or reuse one.
 * `statusCode` is what an HTTP client sees; `retryable` is what a worker does with it.
 */

/** Options accepted by every catalogued error. */
export interface AppErrorOptions {
  details?: unknown;
  cause?: unknown;
  /** Overrides the catalogue's HTTP description (DIGITS' custom `description`). */
  description?: string;
}

/** Base class of every error we throw on purpose. */
export class AppError extends Error {
  readonly code: string;
  readonly statusCode: number;
  readonly retryable: boolean;
  readonly details?: unknown;

  constructor(code: string, statusCode: number, retryable: boolean, message: string, options: AppErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AppError';
    this.code = code;
    this.statusCode = statusCode;
    this.retryable = retryable;
    if (options.details !== undefined) this.details = options.details;
  }
}

/** A factory for one catalogued error: `Errors.JOB_NOT_FOUND('Job not found')`. */
export type ErrorFactory = ((message: string, options?: AppErrorOptions) => AppError) & {
  readonly code: string;
  readonly statusCode: number;
};

function define(code: string, statusCode: number, retryable = false): ErrorFactory {
  const make = (message: string, options?: AppErrorOptions) => new AppError(code, statusCode, retryable, message, options);
  return Object.assign(make, { code, statusCode });
}

/** Every error the system raises, grouped by area. */
export const Errors = {
  // request shape
  VALIDATION_FAILED: define('VALIDATION_FAILED', 400),
  BAD_REQUEST: define('BAD_REQUEST', 400),
  UNSUPPORTED_OPTION: define('UNSUPPORTED_OPTION', 400),
  PATH_NOT_ALLOWED: define('PATH_NOT_ALLOWED', 400),
  UPLOAD_TOO_LARGE: define('UPLOAD_TOO_LARGE', 413),
  URI_TOO_LONG: define('URI_TOO_LONG', 414),
  UNSUPPORTED_MEDIA_TYPE: define('UNSUPPORTED_MEDIA_TYPE', 415),
  /** Over RATE_LIMIT_*_PER_MIN: retry after the Retry-After header's seconds. */
  RATE_LIMITED: define('RATE_LIMITED', 429, true),
  NOT_FOUND: define('NOT_FOUND', 404),
  // identity
  LOGIN_REQUIRED: define('LOGIN_REQUIRED', 401),
  INVALID_USERNAME: define('INVALID_USERNAME', 400),
  FORBIDDEN: define('FORBIDDEN', 403),
  CSRF_TOKEN_INVALID: define('CSRF_TOKEN_INVALID', 403),
  /** AUTH_MODE=token: a mutating request without a Bearer token (or a session a token opened). */
  AUTH_TOKEN_REQUIRED: define('AUTH_TOKEN_REQUIRED', 401),
  /** AUTH_MODE=token: a malformed, unknown or revoked Bearer token. */
  AUTH_TOKEN_INVALID: define('AUTH_TOKEN_INVALID', 401),
  /** AUTH_MODE=token: a `username` argument naming someone other than the token's user. */
  USERNAME_MISMATCH: define('USERNAME_MISMATCH', 403),
  // jobs
  JOB_NOT_FOUND: define('JOB_NOT_FOUND', 404),
  INVALID_JOB_TYPE: define('INVALID_JOB_TYPE', 400),
  JOB_NOT_RUNNING: define('JOB_NOT_RUNNING', 403),
  JOB_IN_USE: define('JOB_IN_USE', 403),
  JOB_ABORTED: define('JOB_ABORTED', 409),
  /** The worker is stopping: the job goes back to its queue and continues elsewhere. */
  WORKER_SHUTDOWN: define('WORKER_SHUTDOWN', 503, true),
  JOB_NOT_RESUMABLE: define('JOB_NOT_RESUMABLE', 409),
  /** The queue gave up on a job whose workers kept dying while running it. */
  JOB_STALLED: define('JOB_STALLED', 500),
  CHECKPOINT_INVALID: define('CHECKPOINT_INVALID', 422),
  /** An uploaded model archive that cannot be imported (no info.json, unsafe member names, missing files). */
  ARCHIVE_INVALID: define('ARCHIVE_INVALID', 400),
  // datasets and images
  DATASET_NOT_FOUND: define('DATASET_NOT_FOUND', 404),
  DATASET_NOT_READY: define('DATASET_NOT_READY', 409),
  DATASET_BUILD_FAILED: define('DATASET_BUILD_FAILED', 422),
  IMAGE_DECODE_FAILED: define('IMAGE_DECODE_FAILED', 422),
  TRAINING_DIVERGED: define('TRAINING_DIVERGED', 422),
  MODEL_SHAPE_MISMATCH: define('MODEL_SHAPE_MISMATCH', 422),
  NETWORK_INVALID: define('NETWORK_INVALID', 400),
  SNAPSHOT_NOT_FOUND: define('SNAPSHOT_NOT_FOUND', 404),
  MODEL_NOT_READY: define('MODEL_NOT_READY', 409),
  INFERENCE_TIMEOUT: define('INFERENCE_TIMEOUT', 504, true),
  IMAGE_TOO_LARGE: define('IMAGE_TOO_LARGE', 422),
  IMAGE_MODE_UNSUPPORTED: define('IMAGE_MODE_UNSUPPORTED', 422),
  IMAGE_NOT_FOUND: define('IMAGE_NOT_FOUND', 422),
  // infrastructure
  QUEUE_UNAVAILABLE: define('QUEUE_UNAVAILABLE', 503, true),
  /** The gateway is shedding load (event loop or heap over PRESSURE_*): retry after Retry-After. */
  SERVER_BUSY: define('SERVER_BUSY', 503, true),
  STORAGE_FAILED: define('STORAGE_FAILED', 500, true),
  /** A download format whose program (the system's bzip2) this server lacks. */
  ARCHIVE_FORMAT_UNAVAILABLE: define('ARCHIVE_FORMAT_UNAVAILABLE', 501),
  INVALID_PAYLOAD: define('INVALID_PAYLOAD', 400),
  INTERNAL: define('INTERNAL', 500),
} as const;

export type ErrorCode = keyof typeof Errors;

/** True when `err` is one of ours (also across realms, e.g. from a worker thread). */
export function isAppError(err: unknown): err is AppError {
  return err instanceof AppError || (typeof err === 'object' && err !== null && (err as { name?: unknown }).name === 'AppError' && typeof (err as { code?: unknown }).code === 'string');
}

/**
 * Lazy-message assertion: `assert(w > 0, () => expected('positive integer', 'width', w))`.
 * Throws VALIDATION_FAILED so a bad argument never looks like an internal fault.
 */
export function assert(condition: unknown, message: () => string): asserts condition {
  if (!condition) throw Errors.VALIDATION_FAILED(message());
}

/** The house message shape for a bad argument. */
export function expected(what: string, name: string, value: unknown): string {
  return `Expected ${what} for ${name} but received ${String(value)} of type ${typeof value}`;
}

/** The catalogue's error for `code` with `message`, or null for a code it does not have. */
export function errorOfCode(code: string, message: string): AppError | null {
  const factory = Object.hasOwn(Errors, code) ? (Errors as Record<string, ErrorFactory>)[code] : undefined;
  return factory ? factory(message) : null;
}
