/** pino everywhere: one factory, one redaction list. */
import { pino, type Logger, type LoggerOptions } from 'pino';

export type { Logger } from 'pino';

/** Paths never logged in clear: cookies, auth headers, and the password in a Redis URL. */
export const REDACT_PATHS = ['req.headers.authorization', 'req.headers.cookie', 'res.headers["set-cookie"]', 'redisUrl', 'config.redis.url', '*.password'];

/** Builds the process logger: JSON lines, so logs can be searched by field. */
export function createLogger(options: { level: string; name: string; destination?: NodeJS.WritableStream }): Logger {
  const base: LoggerOptions = { level: options.level, name: options.name, redact: { paths: REDACT_PATHS, censor: '[redacted]' } };
  if (options.destination) return pino(base, options.destination as pino.DestinationStream);
  return pino(base);
}

/** Removes the password from a Redis URL so it can be logged. */
export function safeRedisUrl(url: string): string {
  return url.replace(/(\/\/[^:@/]*:)[^@/]*@/, '$1***@');
}
