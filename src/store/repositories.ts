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

const FACTORIES = {
  users: createUsersRepo,
  groups: createGroupsRepo,
  accounts: createAccountsRepo,
  settings: createSettingsRepo,
  audit: createAuditRepo,
  auth: createAuthRepo,
  printing: createPrintingRepo,
  syncRuns: createSyncRunsRepo,
  leases: createLeasesRepo,
};
type Factories = typeof FACTORIES;
export type Repositories = { readonly [K in keyof Factories]: ReturnType<Factories[K]> };

/**
 * Each repository is built on first use, then kept on the object: a transaction usually needs one or two of
 * them, and building all of them (objects of closures over the handle) cost more than the SQL of a small write
 * (SCIM provisioning runs a transaction per request). The getters live on one shared prototype, so creating
 * the set costs one object.
 */
const HANDLE = Symbol('db');
const lazyRepositories: object = Object.create(null);
for (const [name, create] of Object.entries(FACTORIES) as Array<[string, (db: Db) => unknown]>) {
  Object.defineProperty(lazyRepositories, name, {
    enumerable: true,
    get(this: { [HANDLE]: Db }) {
      const repo = create(this[HANDLE]);
      Object.defineProperty(this, name, { value: repo, enumerable: true });
      return repo;
    },
  });
}

export function createRepositories(db: Db): Repositories {
  const repos = Object.create(lazyRepositories) as Repositories & { [HANDLE]: Db };
  repos[HANDLE] = db;
  return repos;
}

/** Run `fn` in one database transaction with repositories bound to it. */
export function inTransaction<T>(db: Db, fn: (repos: Repositories, trx: Db) => Promise<T>): Promise<T> {
  return db.transaction().execute((trx) => fn(createRepositories(trx), trx));
}
