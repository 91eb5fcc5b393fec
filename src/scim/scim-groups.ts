/**
 * SCIM Group writes (RFC 7644 §3.3, §3.5.1, §3.5.2, §3.6), one transaction each (`transact`: see scim-users.ts,
 * store/grouped-transactions.ts). Member changes never load
 * the member list: a PATCH is folded by planGroupMemberOps into "add these / remove these" and written as one
 * membership row per member, so adding or removing one member of a 50,000-member group touches one row (plus
 * the group's version). Only a full replacement of the members (PUT, or PATCH replace on `members`) reads
 * the current member ids to compute the difference.
 */
import type { Db } from '../store/database.ts';
import type { RunInTransaction } from '../store/grouped-transactions.ts';
import type { Repositories } from '../store/repositories.ts';
import { isUniqueViolation } from '../store/sql-errors.ts';
import { notFound, scimError } from './errors.ts';
import { idValue } from './filter-sql.ts';
import { groupFromResource, memberIdsOf, rejectNestedGroupMembers, renderGroup, type ScimGroupRow } from './group-resource.ts';
import { applyPatch, normalizeEntraPatch, parsePatchRequest, planGroupMemberOps } from './patch/index.ts';
import { assertStorableStrings, canonicalResource } from './resource-body.ts';
import { topUpInitialAccounts } from './scim-initial.ts';
import type { ScimSettings } from './scim-settings.ts';
import { addMembers, addVisibleMembers, bumpGroupForWrite, existingUserIds, findGroupForWrite, memberIdsOf as currentMemberIds, removeMembers, touchGroup } from './scim-store.ts';
import { checkIfMatch } from './scim-users.ts';

export interface GroupWriteResult {
  status: number;
  row: ScimGroupRow;
  summary: string;
}

const uniqueness = (name: string) =>
  scimError('scim.uniqueness', `A group named "${name}" already exists (group names are case-insensitive).`, 409, 'Match the existing group by displayName instead of creating a new one.');

/** Member ids → user ids; all must name existing users, or nothing is written (400 invalidValue). */
async function resolveMembers(trx: Db, ids: readonly string[]): Promise<number[]> {
  const numeric = ids.map((id) => ({ id, n: idValue(id) }));
  const wanted = [...new Set(numeric.flatMap((x) => (x.n === undefined ? [] : [x.n])))];
  const found = await existingUserIds(trx, wanted);
  const missing = numeric.filter((x) => x.n === undefined || !found.has(x.n)).map((x) => x.id);
  if (missing.length > 0) {
    const shown = missing.slice(0, 5).map((m) => `"${m}"`).join(', ');
    throw scimError('scim.invalid_value', `No user with id ${shown}${missing.length > 5 ? ` and ${missing.length - 5} more` : ''}: members must be existing users.`, 400, 'Provision the users before adding them to groups.');
  }
  return wanted;
}

export function createScimGroups(clock: () => Date, transact: RunInTransaction) {
  const nowIso = () => clock().toISOString();

  /** `add` must name visible users (see resolveMembers / addVisibleMembers). */
  async function applyMembers(trx: Db, repos: Repositories, group: { id: number; hasPolicy: boolean }, plan: { add: number[]; remove: number[] }, settings: ScimSettings, now: string) {
    const removed = plan.remove.length ? await removeMembers(trx, group.id, plan.remove) : 0;
    const added = plan.add.length ? await addMembers(trx, group.id, plan.add) : [];
    if (added.length > 0 && group.hasPolicy) {
      await topUpInitialAccounts(trx, repos, added, { balanceCents: settings.initialCreditCents, restricted: settings.initialRestricted }, now);
    }
    return { added: added.length, removed };
  }

  async function replaceMembers(trx: Db, repos: Repositories, group: { id: number; hasPolicy: boolean }, ids: number[], settings: ScimSettings, now: string) {
    const current = new Set(await currentMemberIds(trx, group.id));
    const target = new Set(ids);
    return applyMembers(trx, repos, group, { add: ids.filter((id) => !current.has(id)), remove: [...current].filter((id) => !target.has(id)) }, settings, now);
  }

  /**
   * Entra's everyday change: a few members in, a few out. Adding validates and inserts in one statement; only
   * when some id was not inserted (unknown, or already a member) is the list checked to tell which.
   */
  async function patchMembers(trx: Db, repos: Repositories, group: { id: number; hasPolicy: boolean }, plan: { add: string[]; remove: string[] }, settings: ScimSettings, now: string) {
    const removed = plan.remove.length ? await removeMembers(trx, group.id, plan.remove.flatMap((m) => idValue(m) ?? [])) : 0;
    const wanted = [...new Set(plan.add.map((m) => idValue(m) ?? -1))];
    const added = wanted.length && !wanted.includes(-1) ? await addVisibleMembers(trx, group.id, wanted) : [];
    if (added.length < wanted.length) await resolveMembers(trx, plan.add); // throws 400 naming the unknown ids
    if (added.length > 0 && group.hasPolicy) {
      await topUpInitialAccounts(trx, repos, added, { balanceCents: settings.initialCreditCents, restricted: settings.initialRestricted }, now);
    }
    return { added: added.length, removed };
  }

  /** Entra's everyday group PATCH (members in or out, nothing else): BEGIN, one UPDATE…RETURNING, the member rows, COMMIT. */
  async function patchMembersOnly(idText: string, plan: { add: string[]; remove: string[] }, ifMatch: string | undefined, settings: ScimSettings): Promise<GroupWriteResult> {
    const id = idValue(idText);
    if (id === undefined) throw notFound('Group', idText);
    const now = nowIso();
    return transact(async (repos, trx) => {
      const row = await bumpGroupForWrite(trx, id, now);
      if (!row) throw notFound('Group', idText);
      checkIfMatch(row.version - 1, ifMatch); // a mismatch rolls the version back with everything else
      const c = await patchMembers(trx, repos, row, plan, settings, now);
      return { status: 204, row, summary: `patched group ${row.name}${describe(c) || ': no change'}` };
    });
  }

  const describe = (c: { added: number; removed: number }): string => (c.added || c.removed ? `, +${c.added}/-${c.removed} members` : '');

  async function withGroup<T>(idText: string, fn: (trx: Db, repos: Repositories, row: ScimGroupRow & { hasPolicy: boolean }) => Promise<T>, name?: () => string | undefined): Promise<T> {
    const id = idValue(idText);
    if (id === undefined) throw notFound('Group', idText);
    try {
      return await transact(async (repos, trx) => {
        const row = await findGroupForWrite(trx, id);
        if (!row) throw notFound('Group', idText);
        return fn(trx, repos, row);
      });
    } catch (e) {
      if (isUniqueViolation(e)) throw uniqueness(name?.() ?? idText);
      throw e;
    }
  }

  async function updateRow(trx: Db, row: ScimGroupRow, name: string, externalId: string | null, membersChanged: boolean, now: string): Promise<ScimGroupRow> {
    if (name === row.name && externalId === row.scimExternalId) {
      if (!membersChanged) return row;
      await touchGroup(trx, row.id, now);
    } else {
      await trx
        .updateTable('groups')
        .set({ name, nameKey: name.trim().toLowerCase(), scimExternalId: externalId, source: 'scim', sourceName: 'scim', sourceId: String(row.id), updatedAt: now, version: row.version + 1 })
        .where('id', '=', row.id)
        .execute();
    }
    return { ...row, name, scimExternalId: externalId, updatedAt: now, version: row.version + 1 };
  }

  return {
    async create(body: unknown, settings: ScimSettings): Promise<GroupWriteResult> {
      const resource = canonicalResource(body, 'Group');
      const { name, externalId } = groupFromResource(resource);
      const memberIds = memberIdsOf(resource);
      const now = nowIso();
      try {
        return await transact(async (repos, trx) => {
          if (await repos.groups.findByName(name)) throw uniqueness(name);
          const id = await repos.groups.insert({ name, source: 'scim', sourceName: 'scim', scimExternalId: externalId }, now);
          await trx.updateTable('groups').set({ sourceId: String(id) }).where('id', '=', id).execute();
          const c = memberIds.length ? await applyMembers(trx, repos, { id, hasPolicy: false }, { add: await resolveMembers(trx, memberIds), remove: [] }, settings, now) : { added: 0, removed: 0 };
          const row: ScimGroupRow = { id, name, scimExternalId: externalId, version: 1, createdAt: now, updatedAt: now };
          return { status: 201, row, summary: `created group ${name}${describe(c)}` };
        });
      } catch (e) {
        if (isUniqueViolation(e)) throw uniqueness(name);
        throw e;
      }
    },

    replace(idText: string, body: unknown, ifMatch: string | undefined, settings: ScimSettings): Promise<GroupWriteResult> {
      const resource = canonicalResource(body, 'Group');
      const { name, externalId } = groupFromResource(resource);
      const memberIds = memberIdsOf(resource);
      return withGroup(
        idText,
        async (trx, repos, row) => {
          checkIfMatch(row.version, ifMatch);
          const now = nowIso();
          const c = await replaceMembers(trx, repos, row, await resolveMembers(trx, memberIds), settings, now);
          const next = await updateRow(trx, row, name, externalId, c.added + c.removed > 0, now);
          return { status: 200, row: next, summary: `replaced group ${name}${describe(c)}` };
        },
        () => name,
      );
    },

    patch(idText: string, body: unknown, ifMatch: string | undefined, settings: ScimSettings): Promise<GroupWriteResult> {
      assertStorableStrings(body);
      rejectNestedGroupMembers(body);
      const plan = planGroupMemberOps(normalizeEntraPatch(parsePatchRequest(body, 'Group'), 'Group'));
      if (plan.otherOps.length === 0 && !plan.replaceAll) return patchMembersOnly(idText, plan, ifMatch, settings);
      let attempted: string | undefined;
      return withGroup(
        idText,
        async (trx, repos, row) => {
          checkIfMatch(row.version, ifMatch);
          const now = nowIso();
          let { name, scimExternalId: externalId } = row;
          if (plan.otherOps.length > 0) {
            const patched = applyPatch(renderGroup(row, ''), plan.otherOps, 'Group');
            ({ name, externalId } = groupFromResource(patched));
            attempted = name;
            if (name.toLowerCase() !== row.name.toLowerCase() && (await repos.groups.findByName(name))) throw uniqueness(name);
          }
          const c = plan.replaceAll
            ? await replaceMembers(trx, repos, row, await resolveMembers(trx, plan.replaceAll), settings, now)
            : await patchMembers(trx, repos, row, plan, settings, now);
          const next = await updateRow(trx, row, name, externalId, c.added + c.removed > 0, now);
          return { status: 204, row: next, summary: `patched group ${name}${describe(c)}${next === row ? ': no change' : ''}` };
        },
        () => attempted,
      );
    },

    async remove(idText: string, ifMatch: string | undefined): Promise<{ id: number; summary: string }> {
      return withGroup(idText, async (trx, _repos, row) => {
        checkIfMatch(row.version, ifMatch);
        await trx.deleteFrom('groups').where('id', '=', row.id).execute();
        return { id: row.id, summary: `deleted group ${row.name}` };
      });
    },
  };
}
export type ScimGroups = ReturnType<typeof createScimGroups>;
