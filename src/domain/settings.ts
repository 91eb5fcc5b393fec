/**
 * The typed settings admins change at run time (stored in the database, shared by every Spool node).
 * Each key has a type, a default, a description and a validator; `secret` keys are encrypted at rest
 * and never printed back. Keys are a contract with admins' scripts: add freely, never rename.
 */
import { SpoolError } from '../errors.ts';
import { cardTransformProblem } from './sync/card-transform.ts';

export type SettingKind = 'string' | 'int' | 'bool' | 'enum' | 'list' | 'secret' | 'text';

export interface SettingDefinition {
  key: string;
  kind: SettingKind;
  description: string;
  default: unknown;
  values?: readonly string[];
  min?: number;
  max?: number;
  /** List items may contain commas (DNs): only ';' and newlines separate them. */
  dnList?: boolean;
  /** Extra validation of a parsed value: return an error message or null. */
  check?: (value: unknown) => string | null;
}

const defs: SettingDefinition[] = [];
const def = (d: SettingDefinition): void => void defs.push(d);

// --- Sync source selection
def({ key: 'sync.primary-source', kind: 'enum', values: ['internal', 'ldap', 'scim'], default: 'internal', description: 'Where users come from: internal only, an LDAP directory, or pushed over SCIM (Microsoft Entra ID).' });
def({ key: 'sync.secondary-source', kind: 'enum', values: ['none', 'ldap'], default: 'none', description: 'An optional second LDAP directory (keys ldap2.*); a user found in both: the primary wins.' });
def({ key: 'sync.missing-users', kind: 'enum', values: ['keep', 'disable', 'delete'], default: 'disable', description: 'What happens to users that disappear from the source: keep, disable (balance and history kept), or delete after sync.delete-after-days days disabled.' });
def({ key: 'sync.delete-after-days', kind: 'int', min: 0, max: 3650, default: 30, description: 'With sync.missing-users=delete: days a missing user stays disabled before deletion.' });
def({ key: 'sync.delete-protection-percent', kind: 'int', min: 0, max: 100, default: 10, description: 'Stop a sync that would disable or delete more than this share of the source\'s users (0 disables the protection).' });
def({ key: 'sync.schedule.enabled', kind: 'bool', default: true, description: 'Run the scheduled syncs.' });
def({ key: 'sync.schedule.full-time', kind: 'string', default: '01:15', description: 'Local time (HH:MM) of the nightly full sync.', check: (v) => (/^([01]\d|2[0-3]):[0-5]\d$/.test(String(v)) ? null : 'use HH:MM, e.g. 01:15') });
def({ key: 'sync.schedule.incremental-minutes', kind: 'int', min: 0, max: 1440, default: 10, description: 'Minutes between incremental syncs (0 turns them off).' });
def({ key: 'sync.create-on-first-login', kind: 'bool', default: true, description: 'Create a user who exists in the directory but not yet in Spool when they first sign in.' });
def({ key: 'sync.initial-credit-cents', kind: 'int', min: 0, max: 100_000_000, default: 0, description: 'Initial balance for new users who are in no group with its own initial credit.' });
def({ key: 'sync.initial-restricted', kind: 'bool', default: true, description: 'Whether new users are restricted (cannot print without credit) unless a group says otherwise.' });

// --- LDAP (primary source); ldap2.* mirrors these for the secondary source
for (const prefix of ['ldap', 'ldap2']) {
  const p = (k: string): string => `${prefix}.${k}`;
  def({ key: p('server-type'), kind: 'enum', values: ['active-directory', 'azure-ad-ds', 'openldap', 'edirectory'], default: 'active-directory', description: 'Directory type: fills every schema field (override with ldap.schema.<field>).' });
  def({ key: p('hosts'), kind: 'list', default: [], description: 'Server addresses (host or host:port), tried in order.' });
  def({ key: p('port'), kind: 'int', min: 0, max: 65535, default: 0, description: 'Port; 0 means the default for the security mode (636 for LDAPS, 389 otherwise).' });
  def({ key: p('security'), kind: 'enum', values: ['ldaps', 'starttls', 'none'], default: 'ldaps', description: 'LDAPS (TLS from the start), StartTLS, or none (passwords cross the network in clear: not recommended).' });
  def({ key: p('ca-file'), kind: 'string', default: '', description: 'Path of a PEM file with the CA or server certificate to trust (besides the system CAs).' });
  def({ key: p('ca-pem'), kind: 'text', default: '', description: 'PEM text of the CA or server certificate to trust (set by the console upload).' });
  def({ key: p('trust-fingerprint'), kind: 'string', default: '', description: 'Trust exactly this server certificate (SHA-256 fingerprint) even if no CA vouches for it. Use only when you cannot get the CA.' });
  def({ key: p('connect-timeout-ms'), kind: 'int', min: 100, max: 120_000, default: 10_000, description: 'Connection timeout in milliseconds.' });
  def({ key: p('timeout-ms'), kind: 'int', min: 100, max: 600_000, default: 60_000, description: 'Per-operation timeout in milliseconds.' });
  def({ key: p('base-dn'), kind: 'string', default: '', description: 'Base DNs to search, separated by ";" (e.g. dc=contoso,dc=onmicrosoft,dc=com).' });
  def({ key: p('bind-dn'), kind: 'string', default: '', description: 'DN (or user@domain on AD) of the account Spool reads the directory with.' });
  def({ key: p('bind-password'), kind: 'secret', default: '', description: 'Password of the bind account (encrypted at rest).' });
  def({ key: p('import'), kind: 'enum', values: ['all', 'groups'], default: 'all', description: 'Import all users, or only members (direct and nested) of ldap.import-groups.' });
  def({ key: p('import-groups'), kind: 'list', dnList: true, default: [], description: 'Groups whose members are imported when ldap.import=groups (names or DNs).' });
  def({ key: p('import-disabled'), kind: 'bool', default: false, description: 'Import users that are disabled in the directory (they are created disabled).' });
  def({ key: p('update-details'), kind: 'bool', default: true, description: 'Update full name, email, department, office and other details on every sync.' });
  def({ key: p('sync-groups'), kind: 'bool', default: true, description: 'Sync groups and group membership.' });
  def({ key: p('sync-groups-filter'), kind: 'list', dnList: true, default: [], description: 'Only these groups are synced (empty: all groups).' });
  def({ key: p('exclude-ous'), kind: 'list', dnList: true, default: [], description: 'DNs of OUs whose accounts are never imported (service or test accounts).' });
  def({ key: p('exclude-filter'), kind: 'string', default: '', description: 'LDAP filter of accounts never to import, e.g. (description=service*).' });
  def({ key: p('page-size'), kind: 'int', min: 10, max: 5000, default: 500, description: 'Entries per page (RFC 2696). AD returns at most 1,000.' });
  def({ key: p('card-transform'), kind: 'string', default: '', description: 'Card number conversions, applied in order, separated by "|": hex-to-dec, dec-to-hex, strip-prefix:X, strip-suffix:X, pad:N, upper, lower, trim-leading-zeros.', check: cardTransformProblem });
  def({ key: p('card2-transform'), kind: 'string', default: '', description: 'Conversions for the secondary card number (same syntax).', check: cardTransformProblem });
  def({ key: p('login-formats'), kind: 'list', default: ['username', 'alias', 'upn', 'domain', 'email'], description: 'Sign-in names accepted: username, alias, upn (user@domain), domain (DOMAIN\\user), email.' });
}

// --- SCIM (Microsoft Entra ID and other SCIM clients)
def({ key: 'scim.delete-mode', kind: 'enum', values: ['delete', 'disable'], default: 'delete', description: 'What SCIM DELETE does: delete the user, or keep them disabled with their history.' });
def({ key: 'scim.card-number-attribute', kind: 'string', default: 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber', description: 'SCIM attribute mapped to the card number.' });

// --- Server
def({ key: 'server.public-url', kind: 'string', default: '', description: 'URL users and Entra reach this server at (e.g. https://print.example.edu:9192); used for the SCIM tenant URL.' });
def({ key: 'auth.session-minutes', kind: 'int', min: 5, max: 7 * 24 * 60, default: 480, description: 'Minutes a console or portal session stays valid.' });

/** An LDAP attribute description (RFC 4512 §2.5): a name or an OID, with options such as ";binary". */
function checkAttributeName(v: unknown): string | null {
  const s = String(v);
  return s === '' || /^(?:[A-Za-z][A-Za-z0-9-]*|\d+(?:\.\d+)+)(?:;[A-Za-z0-9-]+)*$/.test(s) ? null : 'use an attribute name such as employeeNumber or extensionAttribute1 (letters, digits and hyphens)';
}

/** Names of the per-field schema overrides (ldap.schema.<field>). Kept in step with the LDAP presets. */
export const LDAP_SCHEMA_FIELDS = [
  'user-filter', 'group-filter', 'username-attr', 'username-alias-attr', 'full-name-attr', 'given-name-attr', 'surname-attr',
  'email-attr', 'other-emails-attr', 'department-attr', 'office-attr', 'home-dir-attr', 'card-number-attr', 'card-number2-attr',
  'pin-attr', 'stable-id-attr', 'group-name-attr', 'group-member-attr', 'member-value-type', 'disabled-rule', 'change-attr', 'nested-groups-rule',
  'upn-attr',
] as const;
for (const prefix of ['ldap', 'ldap2']) {
  for (const field of LDAP_SCHEMA_FIELDS) {
    def({
      key: `${prefix}.schema.${field}`, kind: 'string', default: '', description: `Override of the server type's ${field.replace(/-/g, ' ')} (empty: use the preset).`,
      ...(field.endsWith('-attr') ? { check: checkAttributeName } : {}),
    });
  }
}

export const SETTINGS: ReadonlyMap<string, SettingDefinition> = new Map(defs.map((d) => [d.key, d]));

export function settingDefinition(key: string): SettingDefinition {
  const d = SETTINGS.get(key);
  if (!d) {
    const near = [...SETTINGS.keys()].filter((k) => k.startsWith(key.split('.')[0] ?? '')).slice(0, 5);
    throw new SpoolError('config.unknown_key', `Unknown setting "${key}".`, {
      hint: near.length ? `Did you mean one of: ${near.join(', ')}? Run "spool config list" for all keys.` : 'Run "spool config list" for all keys.',
      status: 404,
    });
  }
  return d;
}

/** Parse a value typed by an admin (CLI, form) or sent as JSON (API) into the key's type. */
export function parseSettingValue(key: string, input: unknown): unknown {
  const d = settingDefinition(key);
  const fail = (why: string): never => {
    throw new SpoolError('config.invalid_value', `Invalid value for ${key}: ${why}.`, { hint: d.description });
  };
  let value: unknown;
  switch (d.kind) {
    case 'string':
    case 'text':
    case 'secret': {
      if (typeof input !== 'string') fail('expected text');
      value = d.kind === 'string' ? (input as string).trim() : input;
      if ((value as string).length > 64_000) fail('too long');
      break;
    }
    case 'int': {
      const n = typeof input === 'number' ? input : typeof input === 'string' && /^-?\d+$/.test(input.trim()) ? Number(input.trim()) : Number.NaN;
      if (!Number.isSafeInteger(n)) fail('expected a whole number');
      value = n;
      if (d.min !== undefined && (value as number) < d.min) fail(`must be at least ${d.min}`);
      if (d.max !== undefined && (value as number) > d.max) fail(`must be at most ${d.max}`);
      break;
    }
    case 'bool': {
      if (typeof input === 'boolean') value = input;
      else if (typeof input === 'string' && /^(true|yes|on|1)$/i.test(input.trim())) value = true;
      else if (typeof input === 'string' && /^(false|no|off|0)$/i.test(input.trim())) value = false;
      else fail('expected true or false');
      break;
    }
    case 'enum': {
      const v = typeof input === 'string' ? input.trim().toLowerCase() : input;
      if (typeof v !== 'string' || !d.values?.includes(v)) fail(`expected one of ${d.values?.join(', ')}`);
      value = v;
      break;
    }
    case 'list': {
      if (Array.isArray(input)) value = input.map((x) => String(x).trim()).filter(Boolean);
      else if (typeof input === 'string') value = d.dnList ? splitDnList(input) : splitList(input);
      else fail('expected a list (comma, semicolon or newline separated)');
      break;
    }
  }
  const problem = d.check?.(value);
  if (problem) fail(problem);
  return value;
}

/** "a, b;c\nd" -> ["a","b","c","d"]; DNs contain commas, so base DNs use ';' (see splitDnList). */
export function splitList(input: string): string[] {
  const sep = input.includes(';') || input.includes('\n') ? /[;\n]/ : /,/;
  return input.split(sep).map((s) => s.trim()).filter(Boolean);
}

export function splitDnList(input: string): string[] {
  return input.split(/[;\n]/).map((s) => s.trim()).filter(Boolean);
}

export function isSecretSetting(key: string): boolean {
  return SETTINGS.get(key)?.kind === 'secret';
}
