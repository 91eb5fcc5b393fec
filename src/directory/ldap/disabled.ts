/**
 * Whether a directory account is disabled, decided from attributes already fetched by the sync.
 * Pure code: no I/O. `disabledRuleAttributes(rule)` lists what the search must request.
 */
import type { LdapEntry } from './entry.ts';
import { first, has } from './entry.ts';

export type DisabledRule = 'ad-uac' | 'edirectory-login-disabled' | 'openldap-locked' | 'none';

/** userAccountControl ACCOUNTDISABLE bit (MS-ADTS §2.2.16). */
export const UAC_ACCOUNTDISABLE = 0x2;

/** Windows FILETIME ticks (100 ns since 1601-01-01) at the Unix epoch. */
const FILETIME_UNIX_EPOCH = 116444736000000000n;
/** accountExpires "never": 0 or 0x7FFFFFFFFFFFFFFF (MS-ADA1 accountExpires). */
const FILETIME_NEVER = 0x7fffffffffffffffn;

/** Attributes each rule reads; request them in the user search. */
export function disabledRuleAttributes(rule: DisabledRule): string[] {
  switch (rule) {
    case 'ad-uac':
      return ['userAccountControl', 'accountExpires'];
    case 'edirectory-login-disabled':
      return ['loginDisabled', 'loginExpirationTime'];
    case 'openldap-locked':
      return ['pwdAccountLockedTime', 'shadowExpire', 'nsAccountLock'];
    case 'none':
      return [];
  }
}

/** LDAP GeneralizedTime (RFC 4517 §3.3.13) "YYYYMMDDHHMMSS[.f]Z" → Date; undefined when unparsable. */
export function parseGeneralizedTime(value: string): Date | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})?(\d{2})?(?:[.,]\d+)?(Z|[+-]\d{2}(?:\d{2})?)$/.exec(value.trim());
  if (!m) return undefined;
  const [, y, mo, d, h, mi = '00', s = '00', tz = 'Z'] = m;
  let ms = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s));
  if (tz !== 'Z') {
    const sign = tz.startsWith('-') ? -1 : 1;
    const offH = Number(tz.slice(1, 3));
    const offM = tz.length > 3 ? Number(tz.slice(3, 5)) : 0;
    ms -= sign * (offH * 60 + offM) * 60_000;
  }
  return Number.isNaN(ms) ? undefined : new Date(ms);
}

function adAccountExpired(raw: string | undefined, now: Date): boolean {
  if (raw === undefined || !/^\d+$/.test(raw.trim())) return false;
  const ticks = BigInt(raw.trim());
  if (ticks === 0n || ticks >= FILETIME_NEVER) return false;
  const unixMs = Number((ticks - FILETIME_UNIX_EPOCH) / 10_000n);
  return unixMs <= now.getTime();
}

/**
 * Decides whether the account is disabled:
 * - `ad-uac`: userAccountControl has ACCOUNTDISABLE (0x2), or accountExpires lies in the past.
 * - `edirectory-login-disabled`: loginDisabled is TRUE, or loginExpirationTime lies in the past.
 * - `openldap-locked`: pwdAccountLockedTime is present (ppolicy, draft-behera-ldap-password-policy §5.3.3),
 *   shadowExpire (days since 1970-01-01, RFC 2307) is in the past, or 389-DS style nsAccountLock is TRUE.
 * - `none`: never disabled.
 */
export function isEntryDisabled(entry: LdapEntry, rule: DisabledRule, now: Date = new Date()): boolean {
  switch (rule) {
    case 'ad-uac': {
      const uac = Number.parseInt(first(entry, 'userAccountControl') ?? '', 10);
      if (Number.isFinite(uac) && (uac & UAC_ACCOUNTDISABLE) !== 0) return true;
      return adAccountExpired(first(entry, 'accountExpires'), now);
    }
    case 'edirectory-login-disabled': {
      if ((first(entry, 'loginDisabled') ?? '').trim().toUpperCase() === 'TRUE') return true;
      const exp = first(entry, 'loginExpirationTime');
      const when = exp ? parseGeneralizedTime(exp) : undefined;
      return when !== undefined && when.getTime() <= now.getTime();
    }
    case 'openldap-locked': {
      if (has(entry, 'pwdAccountLockedTime')) return true;
      if ((first(entry, 'nsAccountLock') ?? '').trim().toUpperCase() === 'TRUE') return true;
      const raw = first(entry, 'shadowExpire');
      if (raw !== undefined && /^-?\d+$/.test(raw.trim())) {
        const days = Number(raw.trim());
        // -1 (and any negative) means "never expires" in shadow(5).
        if (days >= 0 && days * 86_400_000 <= now.getTime()) return true;
      }
      return false;
    }
    case 'none':
      return false;
  }
}
