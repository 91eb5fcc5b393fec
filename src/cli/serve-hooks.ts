/**
 * Background work started with `spool serve` (sync schedules, quota runs, session clean-up).
 * Each hook starts its work and returns a function that stops it on shutdown.
 */
import type { App } from '../app.ts';
import { quotaServeHook } from './commands/printers.ts';
import { syncServeHook } from './commands/sync.ts';

export type ServeHook = (spool: App) => Promise<() => Promise<void> | void>;

const sessionCleanup: ServeHook = async (spool) => {
  const timer = setInterval(() => void spool.services.auth.purgeExpiredSessions().catch(() => undefined), 3_600_000);
  timer.unref();
  return () => clearInterval(timer);
};

export const SERVE_HOOKS: ServeHook[] = [sessionCleanup, quotaServeHook, syncServeHook];
