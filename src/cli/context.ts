/** Opens Spool for one CLI command (same database as the server; no running server needed). */
import os from 'node:os';
import type { App } from '../app.ts';

/** The actor recorded in the audit log for CLI actions. */
export const cliActor = (): string => `cli:${process.env.SUDO_USER ?? os.userInfo().username}`;

export async function withApp<T>(fn: (app: App) => Promise<T>): Promise<T> {
  // Loaded on demand so that `spool --help` and usage errors answer without loading every service.
  const [{ createApp }, { loadConfig }, { createLogger }] = await Promise.all([import('../app.ts'), import('../config.ts'), import('../logger.ts')]);
  const config = loadConfig();
  // Logs go to stderr so stdout stays clean for --json output.
  const log = createLogger(process.env.SPOOL_LOG_LEVEL ?? 'warn', process.stderr);
  const app = await createApp({ config, log });
  try {
    return await fn(app);
  } finally {
    await app.close();
  }
}
