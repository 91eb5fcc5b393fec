/**
 * Group-driven initial accounts for SCIM users. An LDAP sync knows a new user's groups when it creates them;
 * Entra creates the user first (POST /Users) and adds them to groups in later requests (PATCH /Groups). So a
 * SCIM user starts with the defaults (sync.initial-credit-cents / sync.initial-restricted) and a marker of what
 * was granted; when they join a group that has its own initial policy, the account is brought up to what
 * `initialAccountFor` gives for all their groups: the credit difference is added (recorded as a transaction),
 * and the restriction follows unless an admin changed it meanwhile. Once the user has printed, the initial
 * account is settled and the marker dropped. Runs inside the membership transaction.
 */
import { initialAccountFor, type GroupAccountPolicy } from '../domain/groups.ts';
import type { Db } from '../store/database.ts';
import type { Repositories } from '../store/repositories.ts';
import { chunks } from '../store/sql-errors.ts';
import { parseAttributes } from './user-resource.ts';

/** Key in users.attributes: { grantedCents, restricted } of the initial account given so far. */
export const INITIAL_MARKER = 'scimInitial';

interface Marker {
  grantedCents: number;
  restricted: boolean;
}

function markerOf(attrs: Record<string, unknown>): Marker | undefined {
  const m = attrs[INITIAL_MARKER] as Partial<Marker> | undefined;
  return m && typeof m.grantedCents === 'number' && typeof m.restricted === 'boolean' ? { grantedCents: m.grantedCents, restricted: m.restricted } : undefined;
}

export async function topUpInitialAccounts(
  trx: Db,
  repos: Repositories,
  userIds: readonly number[],
  defaults: { balanceCents: number; restricted: boolean },
  now: string,
): Promise<number> {
  let changed = 0;
  for (const part of chunks(userIds, 1000)) {
    // The JSON key text only appears unescaped as a key, so LIKE finds exactly the marked users on both engines.
    const rows = await trx.selectFrom('users').select(['id', 'attributes']).where('id', 'in', part).where('attributes', 'like', `%"${INITIAL_MARKER}"%`).execute();
    for (const row of rows) {
      const attrs = parseAttributes(row.attributes);
      const marker = markerOf(attrs);
      if (!marker) continue;
      const printed = await trx.selectFrom('printJobs').select('id').where('userId', '=', row.id).limit(1).executeTakeFirst();
      if (printed) {
        delete attrs[INITIAL_MARKER];
        await trx.updateTable('users').set({ attributes: JSON.stringify(attrs) }).where('id', '=', row.id).execute();
        continue;
      }
      const policies: GroupAccountPolicy[] = (
        await trx
          .selectFrom('memberships')
          .innerJoin('groups', 'groups.id', 'memberships.groupId')
          .select(['groups.initialCreditCents', 'groups.initialRestricted'])
          .where('memberships.userId', '=', row.id)
          .execute()
      ).map((g) => ({ initialCreditCents: g.initialCreditCents, initialRestricted: g.initialRestricted === null ? null : g.initialRestricted === 1 }));
      const target = initialAccountFor(policies, defaults);
      const next: Marker = { ...marker };
      if (target.balanceCents > marker.grantedCents) {
        await repos.accounts.adjust(row.id, target.balanceCents - marker.grantedCents, 'Initial credit (group)', 'scim', now);
        next.grantedCents = target.balanceCents;
      }
      if (target.restricted !== marker.restricted) {
        const account = await repos.accounts.get(row.id);
        if (account && account.restricted === marker.restricted) await repos.accounts.setRestricted(row.id, target.restricted, now);
        next.restricted = target.restricted;
      }
      if (next.grantedCents !== marker.grantedCents || next.restricted !== marker.restricted) {
        // Not a SCIM-visible change: the version (ETag) stays.
        await trx.updateTable('users').set({ attributes: JSON.stringify({ ...attrs, [INITIAL_MARKER]: next }) }).where('id', '=', row.id).execute();
        changed++;
      }
    }
  }
  return changed;
}
