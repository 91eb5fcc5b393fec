/**
 * The one ordered migration list for both engines. Kysely's Migrator records applied names in
 * `kysely_migration` and takes a lock (a PostgreSQL advisory lock; SQLite's write lock) so two Spool
 * nodes starting at the same moment apply each migration once.
 */
import { Migrator, sql, type Kysely, type Migration } from 'kysely';
import { SpoolError } from '../../errors.ts';
import { migrationContext, type Engine } from './context.ts';
import * as m001 from './001-initial.ts';
import * as m002 from './002-sync-digest.ts';
import * as m003 from './003-group-sync-key.ts';
import * as m004 from './004-slim-memberships.ts';
import * as m005 from './005-partial-indexes.ts';

type Step = { up: (db: Kysely<unknown>, ctx: ReturnType<typeof migrationContext>) => Promise<void> };
const steps: Array<[string, Step]> = [['001-initial', m001], ['002-sync-digest', m002], ['003-group-sync-key', m003], ['004-slim-memberships', m004], ['005-partial-indexes', m005]];

/** Applies every pending migration; `upTo` stops after the one of that name (tests of a migration's upgrade path). */
export async function migrateToLatest(db: Kysely<unknown>, engine: Engine, upTo?: string): Promise<string[]> {
  if (upTo === undefined && await upToDate(db)) return [];
  const ctx = migrationContext(engine);
  const migrations: Record<string, Migration> = {};
  for (const [name, step] of steps) migrations[name] = { up: (d) => step.up(d, ctx) };
  const migrator = new Migrator({ db, provider: { getMigrations: () => Promise.resolve(migrations) } });
  const { error, results } = upTo ? await migrator.migrateTo(upTo) : await migrator.migrateToLatest();
  if (error) {
    throw new SpoolError('store.migration_failed', `Database migration failed: ${String((error as Error).message ?? error)}`, {
      hint: 'The database was left at the last good migration. Check the log, fix the cause and start Spool again.',
      status: 500,
      cause: error,
    });
  }
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}

/**
 * Every migration of this version applied already (every start but the first after an upgrade): one query instead
 * of the Migrator's table checks, lock and comparison, about 10 ms of each `spool` command. Anything else (a new
 * database, a pending migration, a database from a newer Spool) goes through the Migrator as before.
 */
async function upToDate(db: Kysely<unknown>): Promise<boolean> {
  try {
    const r = await sql<{ name: string | null; n: number | string }>`select max(name) as name, count(*) as n from kysely_migration`.execute(db);
    return r.rows[0]?.name === steps[steps.length - 1]![0] && Number(r.rows[0]?.n) === steps.length;
  } catch {
    return false; // no migration table yet
  }
}
