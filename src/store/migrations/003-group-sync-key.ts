/**
 * groups.sync_key: the key (domain/sync/fingerprint.ts, entryKey) of a directory group's entry as the last full
 * sync found it, written once that sync had applied every membership. When the next full sync finds every user
 * entry and every group entry unchanged (all keys match), the memberships are as that sync left them: it neither
 * resolves 600,000 member values nor loads the stored memberships (services/sync/read-groups.ts).
 *
 * Only the sync writes memberships of directory groups; an incremental sync that changes anything clears these
 * keys, and a writer that adds or removes members of a group outside a sync clears that group's key
 * (store/groups-repo.ts).
 */
import type { Kysely } from 'kysely';
import type { MigrationContext } from './context.ts';

export async function up(db: Kysely<unknown>, ctx: MigrationContext): Promise<void> {
  await db.schema.alterTable('groups').addColumn('sync_key', ctx.bigint).execute();
}
