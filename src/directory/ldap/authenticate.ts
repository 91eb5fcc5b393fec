/**
 * Password check against the directory ("search, then bind"): the service account finds the user's DN with a
 * properly escaped filter, then a second connection binds as that DN with the user's password.
 * The reason in a failed result is for logs and audit only: callers show end users one message for all
 * failures, so that sign-in does not reveal which accounts exist.
 */
import { SpoolError } from '../../errors.ts';
import type { LdapConnectionConfig } from './connection.ts';
import { assertNonEmptyPassword, openLdapConnection, withLdapConnection } from './connection.ts';
import type { DisabledRule } from './disabled.ts';
import { disabledRuleAttributes, isEntryDisabled } from './disabled.ts';
import type { LdapEntry } from './entry.ts';
import { toLdapEntry } from './entry.ts';
import { adBindSubcode, AD_BIND_SUBCODES, translateLdapError } from './errors.ts';
import { escapeFilterValue } from './escape.ts';
import { normalizeFilter } from './filter.ts';
import { splitBaseDns } from './search.ts';

export interface VerifyPasswordOptions {
  /** Base DN(s) below which users live; a ';'-separated settings string is accepted. */
  searchBases: string | string[];
  /** The user filter of the directory settings, e.g. (&(objectCategory=person)(objectClass=user)). */
  userFilter: string;
  /** Attributes a login may match, e.g. ['sAMAccountName', 'userPrincipalName', 'mail']. */
  usernameAttrs: string[];
  login: string;
  password: string;
  /** When set, a disabled account fails with reason 'disabled' before any bind as the user. */
  disabledRule?: DisabledRule;
  /** Extra attributes to return with a successful result. */
  attributes?: string[];
}

export type VerifyPasswordFailure = 'invalid_credentials' | 'not_found' | 'disabled' | 'ambiguous';

export type VerifyPasswordResult =
  | { ok: true; dn: string; entry: LdapEntry }
  | { ok: false; reason: VerifyPasswordFailure; /** For logs only, never for end users. */ detail?: string };

/**
 * The values to look a login up by. "DOMAIN\user" (down-level logon name) is looked up by its user part;
 * "user@domain" (UPN or e-mail) as typed. Leading/trailing spaces are removed.
 */
export function loginCandidates(login: string): string[] {
  const trimmed = login.trim();
  const m = /^[^\\@\s]+\\([^\\]+)$/.exec(trimmed);
  if (m?.[1]) return [m[1]];
  return trimmed ? [trimmed] : [];
}

/**
 * Builds the lookup filter; every user-supplied value is escaped (RFC 4515) — no filter injection.
 * Throws ldap.invalid_filter when the configured user filter is malformed.
 */
export function buildLoginFilter(userFilter: string, usernameAttrs: string[], login: string): string | undefined {
  const values = loginCandidates(login);
  const attrs = usernameAttrs.map((a) => a.trim()).filter((a) => /^[A-Za-z][A-Za-z0-9-]*$|^\d+(\.\d+)+$/.test(a));
  if (values.length === 0 || attrs.length === 0) return undefined;
  const terms = attrs.flatMap((a) => values.map((v) => `(${a}=${escapeFilterValue(v)})`));
  const base = userFilter.trim() ? normalizeFilter(userFilter) : '';
  const either = terms.length === 1 ? (terms[0] as string) : `(|${terms.join('')})`;
  return base ? `(&${base}${either})` : either;
}

/**
 * Verifies a user's password. Throws `ldap.empty_password` for an empty password before contacting any server
 * (an empty simple bind is an unauthenticated bind that succeeds on many servers, RFC 4513 §5.1.2).
 * Throws a SpoolError for infrastructure problems (unreachable server, bad service account, bad filter):
 * those are not the user's fault and must not be shown as "wrong password".
 */
export async function verifyLdapPassword(connCfg: LdapConnectionConfig, opts: VerifyPasswordOptions): Promise<VerifyPasswordResult> {
  assertNonEmptyPassword(opts.password, 'user');
  const filter = buildLoginFilter(opts.userFilter, opts.usernameAttrs, opts.login);
  if (!filter) return { ok: false, reason: 'not_found', detail: 'empty login or no username attributes configured' };
  const bases = splitBaseDns(opts.searchBases);
  if (bases.length === 0) {
    throw new SpoolError('ldap.config_invalid', 'No search base (base DN) is configured for sign-in.', { status: 400 });
  }
  const attributes = [...new Set(['1.1', ...(opts.disabledRule ? disabledRuleAttributes(opts.disabledRule) : []), ...(opts.attributes ?? [])])];
  const wanted = attributes.length > 1 ? attributes.filter((a) => a !== '1.1') : attributes;

  const matches = await withLdapConnection(connCfg, async (conn) => {
    const found = new Map<string, LdapEntry>();
    for (const base of bases) {
      try {
        // sizeLimit 2: enough to detect an ambiguous login without reading more.
        const res = await conn.client.search(base, { scope: 'sub', filter, attributes: wanted, sizeLimit: 2, timeLimit: Math.max(1, Math.ceil(conn.timeoutMs / 1000)) });
        for (const raw of res.searchEntries) found.set(raw.dn.toLowerCase(), toLdapEntry(raw));
      } catch (err) {
        throw translateLdapError(err, { operation: 'search', url: conn.url, security: conn.security, baseDn: base, filter });
      }
      if (found.size > 1) break;
    }
    return [...found.values()];
  });
  if (matches.length === 0) return { ok: false, reason: 'not_found' };
  if (matches.length > 1) return { ok: false, reason: 'ambiguous', detail: matches.map((m) => m.dn).join(' | ') };
  const entry = matches[0] as LdapEntry;
  if (opts.disabledRule && isEntryDisabled(entry, opts.disabledRule)) return { ok: false, reason: 'disabled', detail: entry.dn };

  // Second connection: the user's own bind. Never retried on other hosts (lockout counters).
  try {
    const userConn = await openLdapConnection({ ...connCfg, bindDn: entry.dn, bindPassword: opts.password });
    await userConn.close();
  } catch (err) {
    const e = translateLdapError(err, { operation: 'user-bind' });
    if (e.code === 'ldap.bind_failed') {
      const sub = adBindSubcode(typeof e.details?.serverMessage === 'string' ? e.details.serverMessage : undefined);
      const known = sub ? AD_BIND_SUBCODES[sub] : undefined;
      if (known && ['account_disabled', 'account_expired', 'account_locked'].includes(known.reason)) {
        return { ok: false, reason: 'disabled', detail: known.reason };
      }
      return { ok: false, reason: 'invalid_credentials', detail: known?.reason };
    }
    throw e;
  }
  return { ok: true, dn: entry.dn, entry };
}
