/**
 * A request logger that creates pino's child logger (bindings serialised, redaction set up) only when the
 * request actually logs something. Fastify makes a child logger for every request; for machine clients that
 * send thousands of requests a second and almost never cause a log line (SCIM), that child costs about as much
 * as the work of the request. What is logged, and with which bindings (the request id), stays the same.
 */
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';

type Bindings = Parameters<FastifyBaseLogger['child']>[0];
type ChildOptions = Parameters<FastifyBaseLogger['child']>[1];
type Log = (...args: unknown[]) => void;
type ChildLoggerFactory = Parameters<FastifyInstance['setChildLoggerFactory']>[0];

class LazyChildLogger {
  #child: FastifyBaseLogger | undefined;
  readonly #parent: FastifyBaseLogger;
  readonly #bindings: Bindings;
  readonly #options: ChildOptions;

  constructor(parent: FastifyBaseLogger, bindings: Bindings, options: ChildOptions) {
    this.#parent = parent;
    this.#bindings = bindings;
    this.#options = options;
  }

  #real(): FastifyBaseLogger {
    return (this.#child ??= this.#parent.child(this.#bindings, this.#options));
  }

  get level(): string {
    return this.#child?.level ?? this.#options?.level ?? this.#parent.level;
  }

  set level(level: string) {
    this.#real().level = level;
  }

  fatal(...args: unknown[]): void {
    (this.#real().fatal as Log)(...args);
  }

  error(...args: unknown[]): void {
    (this.#real().error as Log)(...args);
  }

  warn(...args: unknown[]): void {
    (this.#real().warn as Log)(...args);
  }

  info(...args: unknown[]): void {
    (this.#real().info as Log)(...args);
  }

  debug(...args: unknown[]): void {
    (this.#real().debug as Log)(...args);
  }

  trace(...args: unknown[]): void {
    (this.#real().trace as Log)(...args);
  }

  silent(...args: unknown[]): void {
    (this.#real().silent as Log)(...args);
  }

  child(bindings: Bindings, options?: ChildOptions): FastifyBaseLogger {
    return this.#real().child(bindings, options);
  }
}

/** For `instance.setChildLoggerFactory()` on a scope whose requests rarely log. */
export const lazyChildLoggerFactory: ChildLoggerFactory = (logger, bindings, options) => new LazyChildLogger(logger, bindings, options) as unknown as FastifyBaseLogger;
