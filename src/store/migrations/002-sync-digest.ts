/**
 * users.sync_digest: a 53-bit digest of a directory user's synced fields as the last sync wrote them
 * (since 003, the entry's key: domain/sync/fingerprint.ts, entryKey). A full sync reads only (id, source_id, sync_digest) for the users of
 * its source and compares each directory entry's digest with it; only users whose digest differs are loaded
 * whole. Keeps a no-change sync of 100,000 users from reading and comparing 100,000 full rows.
 *
 * The digest must never vouch for a row that something else changed since: a trigger clears it whenever any
 * synced column changes without the same statement setting a new digest (console edits, the user portal, SCIM,
 * a PIN change, "disable missing users"...). A trigger rather than care in every writer, so that a writer added
 * later cannot forget it. A cleared digest only costs that user a full comparison in the next sync.
 */
import { sql, type Kysely } from 'kysely';
import type { MigrationContext } from './context.ts';

/** The columns a digest covers, directly or through the values they came from. */
export const DIGESTED_COLUMNS = [
  'username', 'username_alias', 'ldap_dn', 'full_name', 'email', 'other_emails', 'department', 'office', 'home_dir',
  'card_number', 'card_number2', 'pin_hash', 'disabled', 'source', 'source_name', 'source_id',
] as const;

export async function up(db: Kysely<unknown>, ctx: MigrationContext): Promise<void> {
  await db.schema.alterTable('users').addColumn('sync_digest', ctx.bigint).execute();
  const cols = DIGESTED_COLUMNS.join(', ');
  if (ctx.engine === 'postgres') {
    const changed = `(${DIGESTED_COLUMNS.map((c) => `NEW.${c}`).join(', ')}) IS DISTINCT FROM (${DIGESTED_COLUMNS.map((c) => `OLD.${c}`).join(', ')})`;
    await sql.raw(`
      CREATE FUNCTION users_sync_digest_stale() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.sync_digest IS NOT NULL AND NEW.sync_digest IS NOT DISTINCT FROM OLD.sync_digest AND ${changed} THEN
          NEW.sync_digest := NULL;
        END IF;
        RETURN NEW;
      END $$`).execute(db);
    await sql.raw(`CREATE TRIGGER users_sync_digest_stale BEFORE UPDATE OF ${cols} ON users FOR EACH ROW EXECUTE FUNCTION users_sync_digest_stale()`).execute(db);
    return;
  }
  const changed = DIGESTED_COLUMNS.map((c) => `NEW.${c} IS NOT OLD.${c}`).join(' OR ');
  await sql.raw(`
    CREATE TRIGGER users_sync_digest_stale AFTER UPDATE OF ${cols} ON users
    FOR EACH ROW WHEN NEW.sync_digest IS NOT NULL AND NEW.sync_digest IS OLD.sync_digest AND (${changed})
    BEGIN UPDATE users SET sync_digest = NULL WHERE id = NEW.id; END`).execute(db);
}
