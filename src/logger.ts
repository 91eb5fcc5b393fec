/** pino logger with secrets redacted wherever they might appear in a logged object. */
import { createRequire } from 'node:module';
import type { Logger, pino as PinoFactory } from 'pino';

export const REDACT_PATHS = [
  'password', '*.password', 'bindPassword', '*.bindPassword', 'token', '*.token', 'secret', '*.secret',
  'req.headers.authorization', 'req.headers.cookie', 'res.headers["set-cookie"]', 'headers.authorization', 'headers.cookie',
];

// pino is CommonJS: required synchronously, so that a logger can load it at its first line (see createCliLogger).
const require = createRequire(import.meta.url);

export function createLogger(level: string, destination?: NodeJS.WritableStream): Logger {
  const { pino } = require('pino') as { pino: typeof PinoFactory };
  return pino({ level, redact: { paths: REDACT_PATHS, censor: '[redacted]' }, base: { app: 'spool' } }, destination as never);
}

const LEVELS: Record<string, number> = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60, silent: Infinity };

type Method = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace';

/**
 * A logger whose pino logger is made at the first line that is actually logged: lines below its level are dropped
 * without making it. What is logged, with which bindings, redaction and level, stays pino's. Two uses:
 * - a CLI command (createCliLogger): loading pino cost about 20 ms of start-up, and a command run at the default
 *   level ("warn") usually logs nothing;
 * - a request's child logger (http/lazy-logger.ts): Fastify makes one for every request, and for machine clients
 *   that almost never cause a log line (SCIM) building it cost about as much as the request's own work.
 */
export class DeferredLogger {
  #real: Logger | undefined;
  readonly #make: () => Logger;
  readonly #level: () => string;

  /** `level`: the level the logger will have, read while it is not made yet (a parent's may change). */
  constructor(make: () => Logger, level: () => string) {
    this.#make = make;
    this.#level = level;
  }

  #get(): Logger {
    return (this.#real ??= this.#make());
  }

  get level(): string {
    return this.#real?.level ?? this.#level();
  }

  set level(level: string) {
    this.#get().level = level;
  }

  #log(method: Method, args: unknown[]): void {
    if (!this.#real && !this.isLevelEnabled(method)) return;
    (this.#get()[method] as (...a: unknown[]) => void)(...args);
  }

  fatal(...args: unknown[]): void { this.#log('fatal', args); }
  error(...args: unknown[]): void { this.#log('error', args); }
  warn(...args: unknown[]): void { this.#log('warn', args); }
  info(...args: unknown[]): void { this.#log('info', args); }
  debug(...args: unknown[]): void { this.#log('debug', args); }
  trace(...args: unknown[]): void { this.#log('trace', args); }
  silent(): void {}

  isLevelEnabled(level: string): boolean {
    return (LEVELS[level] ?? 0) >= (LEVELS[this.level] ?? 30);
  }

  child(bindings: Record<string, unknown>, options?: { level?: string }): DeferredLogger {
    return new DeferredLogger(() => this.#get().child(bindings, options), () => options?.level ?? this.level);
  }
}

/** createLogger for a CLI command: pino itself is loaded only if a line is logged. */
export function createCliLogger(level: string, destination?: NodeJS.WritableStream): Logger {
  if (!(level in LEVELS)) return createLogger(level, destination); // pino reports the unknown level
  return new DeferredLogger(() => createLogger(level, destination), () => level) as unknown as Logger;
}
export type { Logger };
