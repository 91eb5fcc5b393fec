/**
 * Sign-in with directory credentials: the login (username, alias, user@domain, DOMAIN\user or e-mail, per
 * ldap.login-formats) is looked up with an escaped filter and the password is checked by binding as the found
 * DN (directory/ldap/authenticate.ts). An empty password never authenticates (RFC 4513 §5.1.2: it would be an
 * unauthenticated bind). Unknown users, wrong passwords and directory-disabled accounts get one answer, so sign-in
 * does not reveal which accounts exist. A directory user not yet in Spool is created at first sign-in.
 */
import { all, escapeFilterValue, first, isEntryDisabled, pagedSearch, stableIdOf, userAttributes, verifyLdapPassword, withLdapConnection } from '../../directory/ldap/index.ts';
import type { LdapEntry } from '../../directory/ldap/index.ts';
import { mapDirectoryUser } from '../../domain/sync/map-user.ts';
import type { SourceUser } from '../../domain/sync/types.ts';
import type { User } from '../../domain/users.ts';
import { SpoolError } from '../../errors.ts';
import { dummyHash, verifyPassword } from '../../security/passwords.ts';
import { inTransaction } from '../../store/repositories.ts';
import type { UserRow } from '../../store/schema.ts';
import { isUniqueViolation } from '../../store/sql-errors.ts';
import { rowToUser } from '../../store/users-repo.ts';
import { nowIso, type ServiceDeps } from '../deps.ts';
import type { SettingsService } from '../settings-service.ts';
import { dnKey } from './dn-key.ts';
import { enabledSourceNames, ldapSourceFromSettings, userFieldMap, type LdapSource } from './ldap-source.ts';
import { IN_CHAIN, andFilter, resolveGroupDns } from './read-directory.ts';

export interface AuthResult {
  user: User;
  source: 'internal' | 'ldap';
  /** Created at this sign-in (sync.create-on-first-login). */
  created: boolean;
}

const invalid = (): SpoolError => new SpoolError('auth.invalid_credentials', 'Wrong username or password.', { status: 401 });

/** The directory attributes a login may match, from ldap.login-formats. */
export function loginAttributes(src: LdapSource, login: string): string[] {
  const f = new Set(src.loginFormats.map((x) => x.toLowerCase()));
  if (login.includes('\\') && !f.has('domain')) return [];
  const attrs: Array<string | null> = [];
  if (f.has('username') || f.has('domain')) attrs.push(src.schema.usernameAttr);
  if (f.has('alias')) attrs.push(src.schema.usernameAliasAttr);
  if (f.has('upn') && login.includes('@')) attrs.push(src.upnAttr);
  if (f.has('email') && login.includes('@')) attrs.push(src.schema.emailAttr);
  return [...new Set(attrs.filter((a): a is string => Boolean(a)))];
}

export function createDirectoryAuth(deps: ServiceDeps, settings: SettingsService) {
  const { repos } = deps;

  async function finish(row: UserRow, created: boolean, source: AuthResult['source']): Promise<AuthResult> {
    if (row.disabled === 1) throw new SpoolError('auth.account_disabled', 'This account is disabled.', { status: 403, hint: 'Ask an administrator to enable it.' });
    return { user: rowToUser(row), source, created };
  }

  /** Import groups configured: a first sign-in only creates members (direct, or nested through AD's in-chain rule). */
  async function inImportGroups(src: LdapSource, entry: LdapEntry): Promise<boolean> {
    if (src.importMode !== 'groups') return true;
    return withLdapConnection(src.connection, async (conn) => {
      const dns = await resolveGroupDns(conn, src, src.importGroups, []);
      if (!dns.length) return false;
      if (src.schema.nestedGroupsRule === 'in-chain') {
        const filter = andFilter([src.schema.userFilter, `(|${dns.map((d) => `(memberOf:${IN_CHAIN}:=${escapeFilterValue(d)})`).join('')})`]);
        for await (const e of pagedSearch(conn, { baseDns: [entry.dn], scope: 'base', filter, attributes: ['1.1'], pageSize: 1 })) return Boolean(e);
        return false;
      }
      const wanted = new Set(dns.map(dnKey));
      return all(entry, 'memberOf').some((m) => wanted.has(dnKey(m)));
    });
  }

  async function createFromEntry(src: LdapSource, entry: LdapEntry, sourceId: string): Promise<UserRow | undefined> {
    const mapped = mapDirectoryUser({ dn: entry.dn, stableId: sourceId, disabled: isEntryDisabled(entry, src.schema.disabledRule), get: (a) => all(entry, a) }, userFieldMap(src));
    if (!mapped.ok) {
      deps.log.warn({ entry: entry.dn, reason: mapped.error.message }, 'directory sign-in: entry cannot be mapped to a user');
      return undefined;
    }
    if (!(await inImportGroups(src, entry))) return undefined;
    const u: SourceUser = mapped.user;
    const now = nowIso(deps);
    const snap = await settings.snapshot('sync.');
    try {
      return await inTransaction(deps.store.db, async (r) => {
        const id = await r.users.insert({
          username: u.username, usernameAlias: u.usernameAlias, fullName: u.details.fullName, email: u.details.email, otherEmails: JSON.stringify(u.details.otherEmails),
          department: u.details.department, office: u.details.office, cardNumber: u.details.cardNumber, cardNumber2: u.details.cardNumber2, homeDir: u.details.homeDir,
          disabled: 0, source: 'ldap', sourceName: src.name, sourceId, ldapDn: entry.dn, attributes: '{}', createdAt: now, updatedAt: now,
        });
        const credit = Number(snap['sync.initial-credit-cents']);
        await r.accounts.create(id, 0, Boolean(snap['sync.initial-restricted']), now);
        if (credit) await r.accounts.adjust(id, credit, 'Initial credit', 'sign-in', now);
        await r.audit.record('sign-in', 'users.add', u.username, { source: 'ldap', reason: 'first sign-in', dn: entry.dn }, now);
        return r.users.findById(id);
      });
    } catch (e) {
      if (isUniqueViolation(e)) {
        deps.log.warn({ username: u.username }, 'directory sign-in: the username belongs to another Spool user');
        return undefined;
      }
      throw e;
    }
  }

  async function viaDirectory(src: LdapSource, login: string, password: string): Promise<AuthResult | 'not_found'> {
    const usernameAttrs = loginAttributes(src, login);
    if (!usernameAttrs.length) return 'not_found';
    const r = await verifyLdapPassword(src.connection, {
      searchBases: src.baseDns, userFilter: src.schema.userFilter, usernameAttrs, login, password,
      disabledRule: src.schema.disabledRule, attributes: [...userAttributes(src.schema), 'memberOf'],
    });
    if (!r.ok) {
      if (r.reason === 'not_found') return 'not_found';
      deps.log.info({ login, reason: r.reason, detail: r.detail }, 'directory sign-in refused');
      throw invalid();
    }
    const sourceId = stableIdOf(r.entry, src.schema.stableIdAttr);
    if (!sourceId) throw invalid();
    const row = await repos.users.findBySourceId('ldap', sourceId);
    if (row) return finish(row, false, 'ldap');
    // Not synced under this id yet: the same username from this directory (re-created account), or a new user.
    const name = first(r.entry, src.schema.usernameAttr)?.normalize('NFC').toLowerCase();
    const byName = name ? await repos.users.findByUsername(name) : undefined;
    if (byName) {
      if (byName.source === 'ldap') return finish(byName, false, 'ldap');
      deps.log.warn({ login, username: name, holder: byName.source }, 'directory sign-in: the username belongs to a non-directory user');
      throw invalid();
    }
    if (!(await settings.value<boolean>('sync.create-on-first-login'))) throw invalid();
    const created = await createFromEntry(src, r.entry, sourceId);
    if (!created) throw invalid();
    return finish(created, true, 'ldap');
  }

  return {
    async authenticate(login: string, password: string): Promise<AuthResult> {
      const name = login.trim();
      if (!name || password.length === 0) throw invalid();
      const local = await repos.users.findByLogin(name);
      if (local && local.source === 'internal') {
        if (!(await verifyPassword(local.passwordHash, password))) throw invalid();
        return finish(local, false, 'internal');
      }
      const snap = await settings.snapshot();
      for (const n of enabledSourceNames(snap)) {
        const src = await ldapSourceFromSettings(snap, n);
        const r = await viaDirectory(src, name, password);
        if (r !== 'not_found') return r;
      }
      // Same work for unknown names as for known ones, so timing does not reveal accounts.
      await verifyPassword(await dummyHash(), password);
      throw invalid();
    },
  };
}
