/**
 * A request logger that creates pino's child logger (bindings serialised, redaction set up) only when the
 * request actually logs something (logger.ts's DeferredLogger). Fastify makes a child logger for every request;
 * for machine clients that send thousands of requests a second and almost never cause a log line (SCIM), that
 * child costs about as much as the work of the request. What is logged, and with which bindings (the request id),
 * stays the same.
 */
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import { DeferredLogger, type Logger } from '../logger.ts';

type ChildLoggerFactory = Parameters<FastifyInstance['setChildLoggerFactory']>[0];

/** For `instance.setChildLoggerFactory()` on a scope whose requests rarely log. */
export const lazyChildLoggerFactory: ChildLoggerFactory = (logger, bindings, options) =>
  new DeferredLogger(() => logger.child(bindings, options) as unknown as Logger, () => options?.level ?? logger.level) as unknown as FastifyBaseLogger;
