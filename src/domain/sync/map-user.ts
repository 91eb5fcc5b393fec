/**
 * Maps one directory entry to a SourceUser. The LDAP adapter hands over the entry through a small interface
 * (values by attribute name, the stable id and the disabled flag already decoded), so this file knows nothing
 * about LDAP wire formats. Every problem names the entry (its DN) so the admin can find and fix it.
 * Pure code: no I/O.
 */
import { SpoolError } from '../../errors.ts';
import { isNormalizedUsername } from '../users.ts';
import type { CardStep } from './card-transform.ts';
import { applyCardTransform } from './card-transform.ts';
import type { SourceUser, SyncIssue } from './types.ts';

/** Which directory attribute feeds which Spool field (null: not mapped). */
export interface UserFieldMap {
  username: string;
  usernameAlias: string | null;
  fullName: string;
  givenName: string | null;
  surname: string | null;
  email: string;
  otherEmails: string | null;
  department: string | null;
  office: string | null;
  homeDir: string | null;
  cardNumber: string | null;
  cardNumber2: string | null;
  stableId: string;
  cardSteps: readonly CardStep[];
  card2Steps: readonly CardStep[];
  /** PIN attribute and how a PIN is stored (a keyed digest, see security/pins.ts); both null: PINs not synced. */
  pin?: { attr: string; digest: (pin: string) => string } | null;
}

export interface DirectoryUserInput {
  dn: string;
  /** Canonical stable id, or undefined when the entry lacks it. */
  stableId: string | undefined;
  disabled: boolean;
  /** All values of an attribute as text ([] when absent). */
  get(attr: string): string[];
}

export type MapUserResult = { ok: true; user: SourceUser; warnings: SyncIssue[] } | { ok: false; error: SyncIssue };

const EMAIL = /^[^\s@]+@[^\s@]+$/;
/** Shared by every user without other addresses (most of them): one array instead of 100,000. */
const NO_EMAILS: string[] = Object.freeze([]) as unknown as string[];

/**
 * Departments and offices repeat across thousands of users: keep one copy of each value (bounded, so a directory
 * of unique values cannot grow it without limit).
 */
const shared = new Map<string, string>();
function intern(v: string | null): string | null {
  if (v === null || v.length > 64) return v;
  const s = shared.get(v);
  if (s !== undefined) return s;
  if (shared.size < 10_000) shared.set(v, v);
  return v;
}
const MAX_FIELD = 1024;

function firstText(input: DirectoryUserInput, attr: string | null): string | null {
  if (!attr) return null;
  for (const v of input.get(attr)) {
    const t = v.trim();
    if (t) return t.length > MAX_FIELD ? t.slice(0, MAX_FIELD) : t;
  }
  return null;
}

/** AD proxyAddresses hold "SMTP:primary@x" and "smtp:alias@x" beside X400/SIP entries: keep smtp ones only. */
function otherEmailValues(input: DirectoryUserInput, attr: string): string[] {
  const values = input.get(attr).map((v) => v.trim()).filter(Boolean);
  if (attr.toLowerCase() !== 'proxyaddresses') return values;
  return values.filter((v) => /^smtp:/i.test(v)).map((v) => v.slice(5));
}

/** eDirectory ndsHomeDirectory is "cn=VOLUME,o=org#0#\path": show it as "VOLUME:\path". */
function homeDirValue(raw: string | null, attr: string | null): string | null {
  if (raw === null || attr?.toLowerCase() !== 'ndshomedirectory') return raw;
  const m = /^(.*)#\d+#(.*)$/.exec(raw);
  if (!m) return raw;
  const volume = /^[^=]+=([^,]+)/.exec(m[1] ?? '')?.[1] ?? m[1] ?? '';
  return `${volume}:${m[2] ?? ''}`;
}

function convertCard(input: DirectoryUserInput, attr: string | null, steps: readonly CardStep[], label: string, warnings: SyncIssue[]): { value: string | null; keep: boolean } {
  const raw = firstText(input, attr);
  if (raw === null) return { value: null, keep: false };
  try {
    return { value: applyCardTransform(raw, steps), keep: false };
  } catch (e) {
    const why = e instanceof SpoolError ? e.message : String(e);
    warnings.push({ level: 'warn', code: 'sync.card_conversion_failed', message: `Entry "${input.dn}": ${label} (${attr ?? ''}): ${why} The stored ${label} was kept.`, entry: input.dn });
    return { value: null, keep: true };
  }
}

function mapError(entry: string, code: string, message: string): { ok: false; error: SyncIssue } {
  return { ok: false, error: { level: 'error', code, message, entry } };
}

export type IdentityResult = { ok: true; username: string; alias: string | null; rawName: string; aliasIgnored: string | null } | { ok: false; error: SyncIssue };

/**
 * The fields that name a user: stable id, username, alias. Apart from mapDirectoryUser (which starts with it) for
 * entries known unchanged since the last sync (services/sync/read-directory.ts): their other fields are not read.
 */
export function mapIdentity(input: DirectoryUserInput, map: Pick<UserFieldMap, 'stableId' | 'username' | 'usernameAlias'>): IdentityResult {
  const entry = input.dn;
  if (!input.stableId) {
    return mapError(entry, 'sync.missing_stable_id', `Entry "${entry}" has no ${map.stableId}; it cannot be followed across renames and was not imported.`);
  }
  const rawName = firstText(input, map.username);
  if (!rawName) return mapError(entry, 'sync.missing_username', `Entry "${entry}" has no ${map.username} (the username attribute); it was not imported.`);
  const username = rawName.normalize('NFC').toLowerCase();
  if (!isNormalizedUsername(username)) {
    return mapError(entry, 'sync.invalid_username', `Entry "${entry}": "${rawName}" (${map.username}) is not a valid Spool username; the entry was not imported.`);
  }
  let alias = firstText(input, map.usernameAlias)?.normalize('NFC').toLowerCase() ?? null;
  let aliasIgnored: string | null = null;
  if (alias !== null && !isNormalizedUsername(alias)) {
    aliasIgnored = alias;
    alias = null;
  }
  if (alias === username) alias = null;
  return { ok: true, username, alias, rawName, aliasIgnored };
}

// Hot path (100,000 entries per sync): no closures created per call.
export function mapDirectoryUser(input: DirectoryUserInput, map: UserFieldMap): MapUserResult {
  const entry = input.dn;
  const id = mapIdentity(input, map);
  if (!id.ok) return id;
  const { username, alias, rawName } = id;
  const warnings: SyncIssue[] = [];
  if (id.aliasIgnored !== null) {
    warnings.push({ level: 'warn', code: 'sync.invalid_alias', message: `Entry "${entry}": the alias "${id.aliasIgnored}" (${map.usernameAlias ?? ''}) is not a valid username and was ignored.`, entry });
  }

  let fullName = firstText(input, map.fullName);
  if (fullName === null) {
    const given = firstText(input, map.givenName);
    const sur = firstText(input, map.surname);
    fullName = given && sur ? `${given} ${sur}` : given ?? sur ?? rawName;
  }

  const mails = input.get(map.email);
  let email: string | null = null;
  for (const m of mails) {
    const t = m.trim();
    if (t) {
      email = t;
      break;
    }
  }
  if (email !== null && !EMAIL.test(email)) {
    warnings.push({ level: 'warn', code: 'sync.invalid_email', message: `Entry "${entry}": "${email}" (${map.email}) is not an email address and was ignored.`, entry });
    email = null;
  }
  let otherEmails: string[] = NO_EMAILS;
  const extra = map.otherEmails ? otherEmailValues(input, map.otherEmails) : [];
  if (mails.length > 1 || extra.length) {
    const seen = new Set<string>(email ? [email.toLowerCase()] : []);
    otherEmails = [];
    for (const raw of [...mails.slice(1), ...extra]) {
      const v = raw.trim();
      const key = v.toLowerCase();
      if (!EMAIL.test(v) || seen.has(key)) continue;
      seen.add(key);
      otherEmails.push(v);
    }
  }

  const c1 = convertCard(input, map.cardNumber, map.cardSteps, 'card number', warnings);
  const c2 = convertCard(input, map.cardNumber2, map.card2Steps, 'secondary card number', warnings);

  const user: SourceUser = {
    sourceId: input.stableId!,
    username,
    usernameAlias: alias,
    dn: input.dn,
    details: {
      fullName,
      email,
      otherEmails,
      department: intern(firstText(input, map.department)),
      office: intern(firstText(input, map.office)),
      cardNumber: c1.value,
      cardNumber2: c2.value,
      homeDir: homeDirValue(firstText(input, map.homeDir), map.homeDir),
    },
    disabled: input.disabled,
  };
  if (map.pin) {
    const pin = firstText(input, map.pin.attr);
    user.pinHash = pin ? map.pin.digest(pin) : null;
  }
  if (c1.keep) user.keepCard = true;
  if (c2.keep) user.keepCard2 = true;
  return { ok: true, user, warnings };
}
