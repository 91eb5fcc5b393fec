/**
 * The User/Group Sync form as data: which settings it edits, how a submitted form becomes a settings
 * patch, and the checks that give each field its own inline error. Nothing here writes: the page saves the
 * patch with settings.setMany (all or nothing) only when no field has an error.
 */
import { X509Certificate } from 'node:crypto';
import { normalizeFingerprint } from '../../directory/ldap/certificate.ts';
import { parseDn } from '../../directory/ldap/escape.ts';
import { normalizeFilter } from '../../directory/ldap/filter.ts';
import { DIRECTORY_TYPES, isDirectoryType, presetSchema, type DirectoryType } from '../../directory/ldap/presets.ts';
import { parseAmountToCents, formatCents } from '../../domain/money.ts';
import { cardTransformProblem } from '../../domain/sync/card-transform.ts';
import { LDAP_SCHEMA_FIELDS, SETTINGS, parseSettingValue, splitDnList } from '../../domain/settings.ts';
import { isSpoolError } from '../../errors.ts';

export type Prefix = 'ldap' | 'ldap2';
export const PREFIXES: readonly Prefix[] = ['ldap', 'ldap2'];
export type FormValues = Record<string, string>;
export type FieldErrors = Record<string, string>;

/** Per-source LDAP settings on the page (besides the schema fields). */
export const LDAP_KEYS = [
  'server-type', 'hosts', 'port', 'security', 'ca-pem', 'ca-file', 'trust-fingerprint', 'connect-timeout-ms', 'timeout-ms',
  'base-dn', 'bind-dn', 'import', 'import-groups', 'import-disabled', 'exclude-ous', 'exclude-filter', 'update-details',
  'sync-groups', 'sync-groups-filter', 'page-size', 'card-transform', 'card2-transform', 'login-formats',
] as const;

/** Global sync settings on the page. `sync.initial-credit-cents` is shown as an amount (`sync.initial-credit`). */
export const SYNC_KEYS = [
  'sync.primary-source', 'sync.secondary-source', 'sync.missing-users', 'sync.delete-after-days', 'sync.delete-protection-percent',
  'sync.create-on-first-login', 'sync.initial-restricted', 'sync.schedule.enabled', 'sync.schedule.full-time', 'sync.schedule.incremental-minutes',
] as const;

/** Schema fields shown with the card settings rather than under Advanced. */
export const CARD_SCHEMA_FIELDS = ['card-number-attr', 'card-number2-attr', 'pin-attr'] as const;

/** 'card-number2-attr' -> 'cardNumber2Attr' (the preset's property). */
export const schemaProp = (field: string): string => field.replace(/-([a-z0-9])/g, (_m, c: string) => c.toUpperCase());

/** The preset value of one schema field as the form shows it ('' when the preset has none). */
export function presetValue(type: DirectoryType, field: string): string {
  const v = (presetSchema(type) as unknown as Record<string, unknown>)[schemaProp(field)];
  return typeof v === 'string' ? v : '';
}

/** All presets, for the page script that refills the schema fields when the server type changes. */
export function presetTable(): Record<string, Record<string, string>> {
  const out: Record<string, Record<string, string>> = {};
  for (const t of DIRECTORY_TYPES) out[t] = Object.fromEntries(LDAP_SCHEMA_FIELDS.map((f) => [f, presetValue(t, f)]));
  return out;
}

/** Setting values as the form shows them: lists joined, secrets never (their state comes separately). */
export function displayValue(key: string, value: unknown): string {
  const d = SETTINGS.get(key);
  if (!d || d.kind === 'secret') return '';
  if (Array.isArray(value)) return value.join(d.dnList ? '\n' : ', ');
  if (value === null || value === undefined) return '';
  return String(value);
}

/** Display values of every field of the page, from the stored settings (schema fields show the effective value). */
export function formFromSettings(stored: Record<string, unknown>): FormValues {
  const v: FormValues = {};
  for (const k of SYNC_KEYS) v[k] = displayValue(k, stored[k]);
  v['sync.initial-credit'] = formatCents(Number(stored['sync.initial-credit-cents'] ?? 0));
  for (const p of PREFIXES) {
    for (const k of LDAP_KEYS) v[`${p}.${k}`] = displayValue(`${p}.${k}`, stored[`${p}.${k}`]);
    const type = isDirectoryType(stored[`${p}.server-type`]) ? (stored[`${p}.server-type`] as DirectoryType) : 'active-directory';
    for (const f of LDAP_SCHEMA_FIELDS) {
      const override = displayValue(`${p}.schema.${f}`, stored[`${p}.schema.${f}`]);
      v[`${p}.schema.${f}`] = override || presetValue(type, f);
    }
  }
  return v;
}

/** Form bodies repeat a name for checkboxes (hidden "false" then "true"): the last value wins. */
export function lastValue(v: unknown): string {
  if (Array.isArray(v)) return String(v[v.length - 1] ?? '');
  return v === undefined || v === null ? '' : String(v);
}

export interface ParsedSyncForm {
  /** Submitted values, for re-rendering the form after an error (never the password). */
  values: FormValues;
  /** Settings to save with setMany. */
  patch: Record<string, unknown>;
  errors: FieldErrors;
  warnings: string[];
}

const problem = (e: unknown): string => (isSpoolError(e) ? `${e.message}${e.hint ? ` ${e.hint}` : ''}` : String(e));

/** Checks a PEM bundle: at least one certificate and every one parseable. */
export function checkPem(pem: string): string | null {
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  if (blocks.length === 0) return 'This is not a PEM certificate: it must contain "-----BEGIN CERTIFICATE-----".';
  for (const b of blocks) {
    try {
      new X509Certificate(b);
    } catch {
      return 'A certificate in this PEM text cannot be read. Paste the whole file, including the BEGIN and END lines.';
    }
  }
  return null;
}

/**
 * Turns the submitted form into a settings patch plus per-field errors. `stored` holds the current
 * settings (for the password state and the server type the schema fields were shown for).
 */
export function parseSyncForm(body: Record<string, unknown>, stored: Record<string, unknown>, passwordSet: Record<Prefix, boolean>): ParsedSyncForm {
  const values: FormValues = {};
  const patch: Record<string, unknown> = {};
  const errors: FieldErrors = {};
  const warnings: string[] = [];
  const get = (k: string): string => lastValue(body[k]);

  for (const k of SYNC_KEYS) if (k in body) patch[k] = values[k] = get(k).trim();
  values['sync.initial-credit'] = get('sync.initial-credit').trim();
  try {
    const cents = parseAmountToCents(values['sync.initial-credit'] || '0');
    if (cents < 0) errors['sync.initial-credit'] = 'The initial credit cannot be negative.';
    patch['sync.initial-credit-cents'] = cents;
  } catch (e) {
    errors['sync.initial-credit'] = problem(e);
  }

  const primary = values['sync.primary-source'] ?? String(stored['sync.primary-source']);
  const secondary = values['sync.secondary-source'] ?? String(stored['sync.secondary-source']);
  for (const p of PREFIXES) {
    const inUse = p === 'ldap' ? primary === 'ldap' : secondary === 'ldap';
    for (const k of LDAP_KEYS) {
      const key = `${p}.${k}`;
      if (!(key in body)) continue;
      values[key] = get(key);
      // An empty port is the security mode's default, which the setting spells 0.
      patch[key] = k === 'ca-pem' ? values[key].trim() : k === 'port' && values[key].trim() === '' ? '0' : values[key];
    }
    const type = get(`${p}.server-type`);
    const shownFor = get(`_shown-type.${p}`);
    const typeOk = isDirectoryType(type);
    for (const f of LDAP_SCHEMA_FIELDS) {
      const key = `${p}.schema.${f}`;
      if (!(key in body)) continue;
      const v = get(key).trim();
      values[key] = v;
      // A value equal to the preset it was shown from (or to the new type's preset) is no override:
      // switching the server type later must bring that type's defaults, not freeze the old ones.
      const isPreset = v === '' || (typeOk && v === presetValue(type, f)) || (isDirectoryType(shownFor) && v === presetValue(shownFor, f));
      patch[key] = isPreset ? '' : v;
      if (!isPreset && /filter$/.test(f)) {
        try {
          normalizeFilter(v);
        } catch (e) {
          errors[key] = problem(e);
        }
      }
    }
    const pw = get(`${p}.bind-password`);
    if (get(`${p}.bind-password-clear`) === 'true') patch[`${p}.bind-password`] = '';
    else if (pw !== '') patch[`${p}.bind-password`] = pw;
    const willHavePassword = patch[`${p}.bind-password`] !== undefined ? patch[`${p}.bind-password`] !== '' : passwordSet[p];

    // Field checks that setMany cannot make (it checks types and ranges), for the sources in use.
    const v = (k: string): string => (values[`${p}.${k}`] ?? displayValue(`${p}.${k}`, stored[`${p}.${k}`])).trim();
    const err = (k: string, text: string): void => void (errors[`${p}.${k}`] ??= text);
    if (inUse) {
      if (!v('hosts')) err('hosts', 'Enter at least one server address, e.g. dc1.example.com or ldaps.contoso.com:636.');
      if (!v('base-dn')) err('base-dn', 'Enter the base DN below which users and groups live, e.g. dc=contoso,dc=onmicrosoft,dc=com.');
      if (!v('bind-dn')) err('bind-dn', 'Enter the account Spool reads the directory with (a DN, or user@domain on Active Directory).');
      if (!willHavePassword) err('bind-password', 'Enter the password of the bind account.');
      if (v('import') === 'groups' && !v('import-groups')) err('import-groups', 'Choose at least one group, or import all users.');
      if (type === 'azure-ad-ds' && v('security') !== 'ldaps') err('security', 'Azure AD Domain Services is reached over Secure LDAP (LDAPS, port 636) only.');
      if (v('security') === 'none') warnings.push(`${p === 'ldap' ? 'Primary' : 'Secondary'} source: security "none" sends the bind password and users' passwords across the network in clear. Use LDAPS or StartTLS.`);
    }
    for (const dn of splitDnList(v('base-dn'))) {
      try {
        if (parseDn(dn).length === 0) err('base-dn', 'A base DN cannot be empty.');
      } catch (e) {
        err('base-dn', `"${dn}": ${problem(e)}`);
      }
    }
    const bindDn = v('bind-dn');
    if (bindDn && bindDn.includes('=')) {
      try {
        parseDn(bindDn);
      } catch (e) {
        err('bind-dn', problem(e));
      }
    }
    if (v('exclude-filter')) {
      try {
        normalizeFilter(v('exclude-filter'));
      } catch (e) {
        err('exclude-filter', problem(e));
      }
    }
    const pem = v('ca-pem');
    if (pem) {
      const bad = checkPem(pem);
      if (bad) err('ca-pem', bad);
    }
    if (v('trust-fingerprint')) {
      try {
        normalizeFingerprint(v('trust-fingerprint'));
      } catch (e) {
        err('trust-fingerprint', problem(e));
      }
    }
    for (const k of ['card-transform', 'card2-transform']) {
      const bad = cardTransformProblem(v(k));
      if (bad) err(k, bad);
    }
  }
  // The same typed check setMany makes, now, so every problem shows at once (setMany stays the guard).
  for (const [key, value] of Object.entries(patch)) {
    const field = key === 'sync.initial-credit-cents' ? 'sync.initial-credit' : key;
    if (errors[field]) continue;
    try {
      parseSettingValue(key, value);
    } catch (e) {
      Object.assign(errors, errorsFromSetMany({ problems: { [key]: isSpoolError(e) ? e.message : String(e) } }));
    }
  }
  return { values, patch, errors, warnings };
}

/** The settings as they would be after saving `patch` (typed like settings.snapshot()), for Test settings and checks. */
export function mergedSettings(stored: Record<string, unknown>, patch: Record<string, unknown>): Record<string, unknown> {
  const out = { ...stored };
  for (const [key, value] of Object.entries(patch)) out[key] = parseSettingValue(key, value);
  return out;
}

/** The part of `patch` that changes something (compared as parsed values, so "5" and 5 are the same). */
export function changedSettings(patch: Record<string, unknown>, merged: Record<string, unknown>, stored: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(patch).filter(([k]) => JSON.stringify(merged[k]) !== JSON.stringify(stored[k])));
}

/** The form field a settings key named in an error message belongs to ("... (ldap.ca-file) ..." -> "ldap.ca-file"). */
export function fieldInMessage(message: string, prefix: Prefix): string | undefined {
  const m = new RegExp(`\\b(${prefix}\\.[a-z0-9.-]*[a-z0-9])\\b`).exec(message);
  return m?.[1];
}

/** Maps setMany's per-key problems ("Invalid value for ldap.port: must be at most 65535.") to fields. */
export function errorsFromSetMany(details: Record<string, unknown> | undefined): FieldErrors {
  const out: FieldErrors = {};
  const problems = (details?.problems ?? {}) as Record<string, string>;
  for (const [key, text] of Object.entries(problems)) {
    const field = key === 'sync.initial-credit-cents' ? 'sync.initial-credit' : key;
    out[field] = text.replace(/^Invalid value for [^:]+: /, '').replace(/^./, (c) => c.toUpperCase());
  }
  return out;
}
