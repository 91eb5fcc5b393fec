/**
 * All repositories over one Kysely handle. Pass a transaction (`db.transaction().execute(trx => ...)`)
 * to get repositories whose writes commit or roll back together.
 */
import type { Db } from './database.ts';
import { createAccountsRepo } from './accounts-repo.ts';
import { createAuditRepo } from './audit-repo.ts';
import { createAuthRepo } from './auth-repo.ts';
import { createGroupsRepo } from './groups-repo.ts';
import { createLeasesRepo } from './leases-repo.ts';
import { createPrintingRepo } from './printing-repo.ts';
import { createSettingsRepo } from './settings-repo.ts';
import { createSyncRunsRepo } from './sync-runs-repo.ts';
import { createUsersRepo } from './users-repo.ts';

export function createRepositories(db: Db) {
  return {
    users: createUsersRepo(db),
    groups: createGroupsRepo(db),
    accounts: createAccountsRepo(db),
    settings: createSettingsRepo(db),
    audit: createAuditRepo(db),
    auth: createAuthRepo(db),
    printing: createPrintingRepo(db),
    syncRuns: createSyncRunsRepo(db),
    leases: createLeasesRepo(db),
  };
}
export type Repositories = ReturnType<typeof createRepositories>;

/** Run `fn` in one database transaction with repositories bound to it. */
export function inTransaction<T>(db: Db, fn: (repos: Repositories, trx: Db) => Promise<T>): Promise<T> {
  return db.transaction().execute((trx) => fn(createRepositories(trx), trx));
}
