/** Opens Spool for one CLI command (same database as the server; no running server needed). */
import os from 'node:os';
import type { App } from '../app.ts';

/** The actor recorded in the audit log for CLI actions. */
export const cliActor = (): string => `cli:${process.env.SUDO_USER ?? os.userInfo().username}`;

export async function withApp<T>(fn: (app: App) => Promise<T>): Promise<T> {
  // Loaded on demand so that `spool --help` and usage errors answer without loading every service.
  const [{ createApp }, { loadConfig }, { createCliLogger }] = await Promise.all([import('../app.ts'), import('../config.ts'), import('../logger.ts')]);
  const config = loadConfig();
  // Logs go to stderr so stdout stays clean for --json output.
  const log = createCliLogger(process.env.SPOOL_LOG_LEVEL ?? 'warn', process.stderr);
  // SPOOL_CLI_TIMING=1: milliseconds since the process started at each step, and the clock (to line them up with
  // SPOOL_SYNC_DEBUG's lines), on stderr (start-up tuning, benchmarks).
  const t = (step: string): void => {
    if (process.env.SPOOL_CLI_TIMING) process.stderr.write(`[cli] ${performance.now().toFixed(0)} ms ${step} (${new Date().toISOString().slice(11, 23)})\n`);
  };
  t('modules loaded');
  // No WAL checkpoint when the command ends: see OpenStoreOptions.checkpointOnClose.
  const app = await createApp({ config, log, checkpointOnClose: false, idleDuringSync: true });
  t('app ready');
  try {
    return await fn(app);
  } finally {
    t('command done');
    await app.close();
    t('closed');
    if (process.env.SPOOL_CLI_TIMING) process.on('exit', () => t('exit'));
  }
}
