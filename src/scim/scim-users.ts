/**
 * SCIM User writes (RFC 7644 §3.3 create, §3.5.1 replace, §3.5.2 modify, §3.6 delete). Each request is one
 * transaction (`transact`: on SQLite, a savepoint of a commit shared with the other requests of the same
 * event-loop turn, see store/grouped-transactions.ts): all of it applies or none does. Updates are optimistic (`WHERE version = n`), which
 * gives both If-Match (412, RFC 7644 §3.14) and safety against two concurrent writes to one user.
 *
 * Spool effects, as for LDAP-synced users: a new user gets the initial account of the setting
 * sync.initial-credit-cents / sync.initial-restricted (then topped up by the groups Entra adds them to, see
 * scim-initial.ts); `active: false` disables the Spool user (no sign-in, no printing) keeping balance, history
 * and memberships, `active: true` enables them again; DELETE deletes or keeps them disabled per
 * scim.delete-mode. A user that exists in Spool from another source (internal, LDAP) and is written over
 * SCIM becomes a SCIM user (Entra matched it by userName).
 */
import type { Db, Engine } from '../store/database.ts';
import type { RunInTransaction } from '../store/grouped-transactions.ts';
import { isUniqueViolation } from '../store/sql-errors.ts';
import { initialAccountFor } from '../domain/groups.ts';
import { notFound, scimError } from './errors.ts';
import { idValue } from './filter-sql.ts';
import { isPlainObject } from './filter/evaluate.ts';
import { applyPatch, normalizeEntraPatch, parsePatchRequest } from './patch/index.ts';
import { jsonEqual } from './patch/values.ts';
import { assertStorableStrings, canonicalResource, type Json } from './resource-body.ts';
import { kyselyReader, type Reader } from './reader.ts';
import { findUser, findUserIdByUsername, insertScimUser } from './scim-store.ts';
import type { ScimSettings } from './scim-settings.ts';
import { SCIM_DELETED, parseAttributes, renderUser, userFromResource, type ScimUserRow, type UserColumns } from './user-resource.ts';
import { INITIAL_MARKER } from './scim-initial.ts';

export interface WriteResult {
  status: number;
  row: ScimUserRow;
  summary: string;
}

const uniqueness = (username: string) =>
  scimError('scim.uniqueness', `A user with userName "${username}" already exists (user names are case-insensitive).`, 409, 'Match the existing user instead of creating a new one, or pick another userName.');

/** If-Match (RFC 7644 §3.14, RFC 7232 §3.1): "*" or any listed ETag matching the current version. */
export function checkIfMatch(version: number, ifMatch: string | undefined): void {
  if (ifMatch === undefined || ifMatch.trim() === '' || ifMatch.trim() === '*') return;
  const wanted = ifMatch.split(',').map((t) => t.trim().replace(/^W\//i, '').replace(/^"|"$/g, ''));
  if (!wanted.includes(String(version))) {
    throw scimError('scim.precondition_failed', `The resource has changed (its version is W/"${version}", If-Match asked for ${ifMatch}).`, 412, 'Read the resource again and retry with its current ETag.');
  }
}

function columnsRow(c: UserColumns) {
  return { username: c.username, fullName: c.fullName, email: c.email, otherEmails: c.otherEmails, department: c.department, office: c.office, cardNumber: c.cardNumber, scimExternalId: c.scimExternalId };
}

export function createScimUsers(db: Db, engine: Engine, reader: Reader, clock: () => Date, transact: RunInTransaction) {
  const nowIso = () => clock().toISOString();

  async function create(body: unknown, settings: ScimSettings): Promise<WriteResult> {
    const resource = canonicalResource(body, 'User');
    const { doc, columns } = userFromResource(resource, settings.cardNumberOf);
    const now = nowIso();
    const disabled = columns.disabled === true;
    const state = { disabled: disabled ? 1 : 0, disabledAt: disabled ? now : null, disabledReason: disabled ? 'scim' : null };
    try {
      // The unique index on username decides conflicts (no read first: this is the provisioning hot path).
      return await transact(async (repos, trx) => {
        const initial = initialAccountFor([], { balanceCents: settings.initialCreditCents, restricted: settings.initialRestricted });
        const attributes = JSON.stringify({ scim: doc, [INITIAL_MARKER]: { grantedCents: initial.balanceCents, restricted: initial.restricted } });
        const id = await insertScimUser(trx, engine, { ...columnsRow(columns), attributes, ...state, source: 'scim', sourceName: 'scim', createdAt: now, updatedAt: now });
        await repos.accounts.create(id, 0, initial.restricted, now);
        if (initial.balanceCents !== 0) await repos.accounts.adjust(id, initial.balanceCents, 'Initial credit', 'scim', now);
        const row: ScimUserRow = { id, username: columns.username, fullName: columns.fullName, department: columns.department, ...state, scimExternalId: columns.scimExternalId, attributes, version: 1, createdAt: now, updatedAt: now };
        return { status: 201, row, summary: `created user ${columns.username}` };
      });
    } catch (e) {
      if (!isUniqueViolation(e)) throw e;
    }
    // The name is taken. A user SCIM deleted in scim.delete-mode=disable comes back with their history.
    return transact(async (_repos, trx) => {
      const existing = await findUserIdByUsername(trx, columns.username);
      if (!existing || existing.disabledReason !== SCIM_DELETED) throw uniqueness(columns.username);
      const row = await findRaw(trx, existing.id);
      const attributes = JSON.stringify({ ...parseAttributes(row?.attributes ?? '{}'), scim: doc });
      await trx
        .updateTable('users')
        .set({ ...columnsRow(columns), attributes, ...state, source: 'scim', sourceName: 'scim', sourceId: String(existing.id), updatedAt: now, version: (row?.version ?? 1) + 1 })
        .where('id', '=', existing.id)
        .execute();
      return { status: 201, row: (await findUser(kyselyReader(trx), existing.id)) as ScimUserRow, summary: `restored user ${columns.username}` };
    });
  }

  async function findRaw(trx: Db, id: number) {
    return trx.selectFrom('users').select(['attributes', 'version']).where('id', '=', id).executeTakeFirst();
  }

  /**
   * Replace the user with `compute(current)`; retried when another write got in between (version check).
   * Nothing is written (and the version stays) when the result equals what is stored.
   */
  async function update(idText: string, ifMatch: string | undefined, settings: ScimSettings, verb: string, compute: (row: ScimUserRow) => Json): Promise<WriteResult> {
    const id = idValue(idText);
    if (id === undefined) throw notFound('User', idText);
    for (let attempt = 0; ; attempt++) {
      const row = await findUser(reader, id);
      if (!row) throw notFound('User', idText);
      checkIfMatch(row.version, ifMatch);
      const { doc, columns } = userFromResource(compute(row), settings.cardNumberOf);
      const attrs = parseAttributes(row.attributes);
      const disabled = columns.disabled === undefined ? row.disabled !== 0 : columns.disabled;
      const same =
        columns.username === row.username &&
        columns.fullName === row.fullName &&
        columns.department === row.department &&
        columns.scimExternalId === row.scimExternalId &&
        disabled === (row.disabled !== 0) &&
        isPlainObject(attrs.scim) &&
        jsonEqual(attrs.scim, doc);
      if (same) return { status: 200, row, summary: `${verb} user ${row.username}: no change` };
      const now = nowIso();
      const attributes = JSON.stringify({ ...attrs, scim: doc });
      const activeChange = disabled === (row.disabled !== 0) ? {} : disabled ? { disabled: 1, disabledAt: now, disabledReason: 'scim' } : { disabled: 0, disabledAt: null, disabledReason: null };
      try {
        const done = await transact(async (_repos, trx) => {
          if (columns.username !== row.username) {
            const holder = await findUserIdByUsername(trx, columns.username);
            if (holder && holder.id !== id) throw uniqueness(columns.username);
          }
          const r = await trx
            .updateTable('users')
            .set({ ...columnsRow(columns), ...activeChange, attributes, source: 'scim', sourceName: 'scim', sourceId: String(id), updatedAt: now, version: row.version + 1 })
            .where('id', '=', id)
            .where('version', '=', row.version)
            .executeTakeFirst();
          return Number(r.numUpdatedRows) > 0;
        });
        if (!done) {
          if (attempt < 3) continue;
          throw scimError('scim.conflict', 'The user is being changed by another request; retry.', 409);
        }
      } catch (e) {
        if (isUniqueViolation(e)) throw uniqueness(columns.username);
        throw e;
      }
      const next: ScimUserRow = { ...row, username: columns.username, fullName: columns.fullName, department: columns.department, scimExternalId: columns.scimExternalId, attributes, version: row.version + 1, updatedAt: now, disabled: disabled ? 1 : 0, disabledReason: 'disabledReason' in activeChange ? (activeChange.disabledReason ?? null) : row.disabledReason };
      const what = 'disabled' in activeChange ? (disabled ? ' (deactivated)' : ' (reactivated)') : '';
      return { status: 200, row: next, summary: `${verb} user ${columns.username}${what}` };
    }
  }

  return {
    create,

    replace(idText: string, body: unknown, ifMatch: string | undefined, settings: ScimSettings): Promise<WriteResult> {
      const resource = canonicalResource(body, 'User');
      return update(idText, ifMatch, settings, 'replaced', () => resource);
    },

    patch(idText: string, body: unknown, ifMatch: string | undefined, settings: ScimSettings): Promise<WriteResult> {
      assertStorableStrings(body);
      const ops = normalizeEntraPatch(parsePatchRequest(body, 'User'), 'User');
      // The PATCH applies to the resource as a client reads it (RFC 7644 §3.5.2), minus server-computed groups.
      return update(idText, ifMatch, settings, 'patched', (row) => applyPatch(renderUser(row, { base: '' }), ops, 'User'));
    },

    async remove(idText: string, ifMatch: string | undefined, settings: ScimSettings): Promise<{ summary: string; id: number }> {
      const id = idValue(idText);
      if (id === undefined) throw notFound('User', idText);
      return transact(async (_repos, trx) => {
        const row = await findUser(kyselyReader(trx), id);
        if (!row) throw notFound('User', idText);
        checkIfMatch(row.version, ifMatch);
        if (settings.deleteMode === 'delete') {
          await trx.deleteFrom('users').where('id', '=', id).execute();
          return { id, summary: `deleted user ${row.username}` };
        }
        const now = nowIso();
        await trx.updateTable('users').set({ disabled: 1, disabledAt: now, disabledReason: SCIM_DELETED, updatedAt: now, version: row.version + 1 }).where('id', '=', id).execute();
        return { id, summary: `deleted user ${row.username} (kept disabled with balance and history: scim.delete-mode=disable)` };
      });
    },
  };
}
export type ScimUsers = ReturnType<typeof createScimUsers>;
