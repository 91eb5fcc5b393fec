/**
 * The composition root: the one place that wires config, store, security and services together.
 * The server, the CLI and the tests all build Spool through `createApp`.
 */
import type { Config } from './config.ts';
import type { Logger } from './logger.ts';
import { createScimService } from './scim/scim-service.ts';
import { createSecretBox, loadSecretKey } from './security/secret-box.ts';
import { createAuthService } from './services/auth-service.ts';
import type { ServiceDeps } from './services/deps.ts';
import { createGroupsService } from './services/groups-service.ts';
import { createPrintingService } from './services/printing-service.ts';
import { createQuotaService } from './services/quota-service.ts';
import { createSettingsService } from './services/settings-service.ts';
import { createSyncService } from './services/sync/index.ts';
import { createUsersService } from './services/users-service.ts';
import { openStore } from './store/database.ts';
import { createRepositories } from './store/repositories.ts';

export interface AppOptions {
  config: Readonly<Config>;
  log: Logger;
  clock?: () => Date;
  /** SQLite: see OpenStoreOptions.checkpointOnClose (the CLI passes false). */
  checkpointOnClose?: boolean;
  /**
   * This thread only waits while a sync runs in its worker (the CLI), so the sync may give it work: a big first
   * sync's WAL checkpoint (services/sync/sync-service.ts). A server's thread answers requests meanwhile.
   */
  idleDuringSync?: boolean;
}

export async function createApp(options: AppOptions) {
  const { config, log } = options;
  const store = await openStore({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, poolSize: config.dbPoolSize, checkpointOnClose: options.checkpointOnClose });
  const secrets = createSecretBox(loadSecretKey(config.dataDir, config.secretKey));
  const deps: ServiceDeps = { store, repos: createRepositories(store.db), secrets, log, clock: options.clock ?? (() => new Date()) };
  const settings = createSettingsService(deps);
  const services = {
    settings,
    users: createUsersService(deps, settings),
    groups: createGroupsService(deps),
    auth: createAuthService(deps),
    scim: createScimService(deps, settings, config),
    printing: createPrintingService(deps),
    quota: createQuotaService(deps),
    sync: createSyncService(deps, settings, config, { checkpointsHere: options.idleDuringSync === true }),
    audit: {
      list: (q: { limit: number; beforeId?: number | undefined; action?: string | undefined }) => deps.repos.audit.list(q),
    },
  };
  return {
    config,
    log,
    store,
    deps,
    services,
    async close(): Promise<void> {
      await store.close();
    },
  };
}
export type App = Awaited<ReturnType<typeof createApp>>;
export type Services = App['services'];
