/** Shared set-up for the sync integration tests: point a test app at a harness directory server. */
import type { SlapdServer } from './harness/slapd.ts';
import type { TestApp } from './helpers/stores.ts';

export type Security = 'none' | 'starttls' | 'ldaps';

/** Settings for an OpenLDAP source served by the slapd harness (sync account, paging forced by its size limit). */
export function slapdSettings(s: SlapdServer, security: Security = 'starttls', extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    'sync.primary-source': 'ldap',
    'ldap.server-type': 'openldap',
    'ldap.hosts': [`127.0.0.1:${security === 'ldaps' ? s.ldapsPort : s.port}`],
    'ldap.security': security,
    'ldap.ca-pem': s.caPem,
    'ldap.base-dn': s.baseDn,
    'ldap.bind-dn': s.syncDn,
    'ldap.bind-password': s.syncPassword,
    'ldap.connect-timeout-ms': 3000,
    'ldap.timeout-ms': 20000,
    ...extra,
  };
}

export async function configure(app: TestApp, settings: Record<string, unknown>): Promise<void> {
  await app.services.settings.setMany(settings, 'test');
}

/** Counts of what the store holds, for "nothing changed" assertions. */
export async function storeCounts(app: TestApp): Promise<{ users: number; groups: number; memberships: number; accounts: number; transactions: number; disabled: number }> {
  const db = app.store.db;
  const n = async (t: 'users' | 'groups' | 'memberships' | 'accounts' | 'transactions'): Promise<number> =>
    Number((await db.selectFrom(t).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);
  const disabled = Number((await db.selectFrom('users').where('disabled', '=', 1).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);
  return { users: await n('users'), groups: await n('groups'), memberships: await n('memberships'), accounts: await n('accounts'), transactions: await n('transactions'), disabled };
}

/** A fingerprint of every user row and membership, to prove a run wrote nothing. */
export async function storeDigest(app: TestApp): Promise<string> {
  const db = app.store.db;
  const users = await db.selectFrom('users').selectAll().orderBy('id').execute();
  const groups = await db.selectFrom('groups').selectAll().orderBy('id').execute();
  const members = await db.selectFrom('memberships').select(['groupId', 'userId', 'direct']).orderBy('groupId').orderBy('userId').execute();
  return JSON.stringify([users, groups, members]);
}
