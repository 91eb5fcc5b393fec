/**
 * Turns the settings of one LDAP source (ldap.* for the primary, ldap2.* for the secondary) into what the
 * reader, Test settings and sign-in need: connection config, schema (preset + overrides), import options.
 */
import { readFile } from 'node:fs/promises';
import type { LdapConnectionConfig, LdapSchema } from '../../directory/ldap/index.ts';
import { isDirectoryType, mergeSchema, presetFor, splitBaseDns } from '../../directory/ldap/index.ts';
import type { CardStep } from '../../domain/sync/card-transform.ts';
import { parseCardTransform } from '../../domain/sync/card-transform.ts';
import type { UserFieldMap } from '../../domain/sync/map-user.ts';
import type { SourceName } from '../../domain/sync/types.ts';
import { LDAP_SCHEMA_FIELDS } from '../../domain/settings.ts';
import { SpoolError } from '../../errors.ts';

export interface LdapSource {
  name: SourceName;
  prefix: 'ldap' | 'ldap2';
  serverType: string;
  connection: LdapConnectionConfig;
  baseDns: string[];
  schema: LdapSchema;
  /** Attribute holding user@domain names for sign-in (AD userPrincipalName); null when the directory has none. */
  upnAttr: string | null;
  importMode: 'all' | 'groups';
  importGroups: string[];
  importDisabled: boolean;
  updateDetails: boolean;
  syncGroups: boolean;
  syncGroupsFilter: string[];
  excludeOus: string[];
  excludeFilter: string;
  pageSize: number;
  cardSteps: CardStep[];
  card2Steps: CardStep[];
  loginFormats: string[];
  /** tlsRequired preset with security 'none': a warning for Test settings. */
  warnings: string[];
}

type Settings = Record<string, unknown>;

const kebabToCamel = (s: string): string => s.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());

const ENUMS: Record<string, readonly string[]> = {
  memberValueType: ['dn', 'uid'],
  disabledRule: ['ad-uac', 'edirectory-login-disabled', 'openldap-locked', 'none'],
  changeAttr: ['uSNChanged', 'modifyTimestamp'],
  nestedGroupsRule: ['in-chain', 'resolve'],
  stableIdAttr: ['objectGUID', 'entryUUID', 'GUID'],
};

/** The ldap.schema.<field> overrides: '' keeps the preset, "none" switches an optional attribute off. */
function schemaOverrides(settings: Settings, prefix: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const field of LDAP_SCHEMA_FIELDS) {
    if (field === 'upn-attr') continue;
    const raw = String(settings[`${prefix}.schema.${field}`] ?? '').trim();
    if (!raw) continue;
    const key = field === 'card-number2-attr' ? 'cardNumber2Attr' : kebabToCamel(field);
    if (raw.toLowerCase() === 'none') {
      out[key] = null;
      continue;
    }
    const allowed = ENUMS[key];
    if (allowed) {
      const match = allowed.find((a) => a.toLowerCase() === raw.toLowerCase());
      if (!match) {
        throw new SpoolError('ldap.schema_invalid', `${prefix}.schema.${field} is "${raw}"; expected one of ${allowed.join(', ')}.`, { hint: `Fix it with "spool config set ${prefix}.schema.${field} VALUE", or clear it to use the server type's default.` });
      }
      out[key] = match;
    } else out[key] = raw;
  }
  return out;
}

export async function ldapSourceFromSettings(settings: Settings, name: SourceName): Promise<LdapSource> {
  const prefix = name === 'primary' ? 'ldap' : 'ldap2';
  const s = (k: string): unknown => settings[`${prefix}.${k}`];
  const type = String(s('server-type'));
  if (!isDirectoryType(type)) throw new SpoolError('ldap.unknown_server_type', `Unknown ${prefix}.server-type "${type}".`);
  const preset = presetFor(type);
  const schema = mergeSchema(preset.schema, schemaOverrides(settings, prefix) as Parameters<typeof mergeSchema>[1]);
  const security = String(s('security')) as LdapConnectionConfig['security'];
  const warnings: string[] = [];
  if (security === 'none') warnings.push('Connection security is "none": the bind password and all directory data cross the network unencrypted. Use LDAPS or StartTLS.');
  if (preset.connection.tlsRequired && security !== 'ldaps') warnings.push(`${preset.label} only offers secure LDAP (LDAPS on port 636) from outside its network.`);
  let caPem = String(s('ca-pem') ?? '').trim();
  const caFile = String(s('ca-file') ?? '').trim();
  if (caFile) {
    try {
      caPem = `${caPem}\n${await readFile(caFile, 'utf8')}`.trim();
    } catch (e) {
      throw new SpoolError('ldap.ca_file_unreadable', `The CA file ${caFile} (${prefix}.ca-file) cannot be read: ${(e as Error).message}.`, { hint: 'Check the path and that the user running Spool may read it, or upload the certificate in the console instead.' });
    }
  }
  const fingerprint = String(s('trust-fingerprint') ?? '').trim();
  if (fingerprint) warnings.push('The server certificate is trusted by its pinned fingerprint, not by a certificate authority: renew the pin whenever the certificate changes.');
  const bindDn = String(s('bind-dn') ?? '').trim();
  const port = Number(s('port') ?? 0);
  const upnOverride = String(settings[`${prefix}.schema.upn-attr`] ?? '').trim();
  const upnAttr = upnOverride ? (upnOverride.toLowerCase() === 'none' ? null : upnOverride) : type === 'active-directory' || type === 'azure-ad-ds' ? 'userPrincipalName' : null;
  return {
    name,
    prefix,
    serverType: type,
    connection: {
      hosts: (s('hosts') as string[] | undefined) ?? [],
      ...(port > 0 ? { port } : {}),
      security,
      ...(caPem ? { caPem } : {}),
      ...(fingerprint ? { trustFingerprint: fingerprint } : {}),
      connectTimeoutMs: Number(s('connect-timeout-ms')),
      timeoutMs: Number(s('timeout-ms')),
      ...(bindDn ? { bindDn, bindPassword: String(s('bind-password') ?? '') } : {}),
    },
    baseDns: splitBaseDns(String(s('base-dn') ?? '')),
    schema,
    upnAttr,
    importMode: s('import') === 'groups' ? 'groups' : 'all',
    importGroups: (s('import-groups') as string[] | undefined) ?? [],
    importDisabled: Boolean(s('import-disabled')),
    updateDetails: Boolean(s('update-details')),
    syncGroups: Boolean(s('sync-groups')),
    syncGroupsFilter: (s('sync-groups-filter') as string[] | undefined) ?? [],
    excludeOus: (s('exclude-ous') as string[] | undefined) ?? [],
    excludeFilter: String(s('exclude-filter') ?? '').trim(),
    pageSize: Number(s('page-size') ?? 500),
    cardSteps: parseCardTransform(String(s('card-transform') ?? '')),
    card2Steps: parseCardTransform(String(s('card2-transform') ?? '')),
    loginFormats: (s('login-formats') as string[] | undefined) ?? ['username'],
    warnings,
  };
}

/** The LDAP sources the sync settings turn on, primary first. */
export function enabledSourceNames(settings: Settings): SourceName[] {
  const out: SourceName[] = [];
  if (settings['sync.primary-source'] === 'ldap') out.push('primary');
  if (settings['sync.secondary-source'] === 'ldap') out.push('secondary');
  return out;
}

/** `pinDigest`: how PINs are stored (security/pins.ts); without it PINs are not read even if an attribute is set. */
export function userFieldMap(src: LdapSource, pinDigest?: (pin: string) => string): UserFieldMap {
  const s = src.schema;
  return {
    pin: s.pinAttr && pinDigest ? { attr: s.pinAttr, digest: pinDigest } : null,
    username: s.usernameAttr,
    usernameAlias: s.usernameAliasAttr,
    fullName: s.fullNameAttr,
    givenName: s.givenNameAttr,
    surname: s.surnameAttr,
    email: s.emailAttr,
    otherEmails: s.otherEmailsAttr,
    department: s.departmentAttr,
    office: s.officeAttr,
    homeDir: s.homeDirAttr,
    cardNumber: s.cardNumberAttr,
    cardNumber2: s.cardNumber2Attr,
    stableId: s.stableIdAttr,
    cardSteps: src.cardSteps,
    card2Steps: src.card2Steps,
  };
}

/** Requires the settings a directory conversation cannot do without. */
export function assertConfigured(src: LdapSource): void {
  if (src.connection.hosts.length === 0) {
    throw new SpoolError('ldap.not_configured', `No directory server is configured (${src.prefix}.hosts is empty).`, { hint: `Set it with "spool config set ${src.prefix}.hosts dc1.example.com".` });
  }
  if (src.baseDns.length === 0) {
    throw new SpoolError('ldap.not_configured', `No base DN is configured (${src.prefix}.base-dn is empty).`, { hint: `Set it with "spool config set ${src.prefix}.base-dn 'DC=example,DC=com'".` });
  }
}
