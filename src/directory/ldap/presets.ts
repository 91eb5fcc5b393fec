/**
 * Server-type presets: which object classes and attributes hold what, per directory product.
 * An admin picks a server type, then may override any field (mergeSchema). Pure code: no I/O.
 */
import { SpoolError } from '../../errors.ts';
import type { DisabledRule } from './disabled.ts';
import { disabledRuleAttributes } from './disabled.ts';

export type DirectoryType = 'active-directory' | 'azure-ad-ds' | 'openldap' | 'edirectory';
export const DIRECTORY_TYPES: readonly DirectoryType[] = ['active-directory', 'azure-ad-ds', 'openldap', 'edirectory'];

export type StableIdAttr = 'objectGUID' | 'entryUUID' | 'GUID';
export type MemberValueType = 'dn' | 'uid';

/** A group membership attribute and what its values name. */
export interface MemberAttrRule {
  attr: string;
  valueType: MemberValueType;
}

export interface LdapSchema {
  /** Filter selecting user entries (RFC 4515). */
  userFilter: string;
  /** Filter selecting group entries. */
  groupFilter: string;
  /** Attribute holding the sign-in name (AD sAMAccountName, OpenLDAP uid, eDirectory cn). */
  usernameAttr: string;
  /** A second name users may sign in with (AD userPrincipalName); null for none. */
  usernameAliasAttr: string | null;
  /** Display name. */
  fullNameAttr: string;
  givenNameAttr: string;
  surnameAttr: string;
  /** Primary e-mail address. Further values of a multi-valued mail attribute count as other addresses. */
  emailAttr: string;
  /**
   * Additional addresses; null for none. For AD `proxyAddresses`, only values with an `smtp:` prefix
   * (any case) are addresses, and the prefix must be stripped.
   */
  otherEmailsAttr: string | null;
  departmentAttr: string | null;
  officeAttr: string | null;
  homeDirAttr: string | null;
  /** Primary card/badge number used at printers; null for none. */
  cardNumberAttr: string | null;
  cardNumber2Attr: string | null;
  /** Printer PIN; null for none (usually kept in Spool, not in the directory). */
  pinAttr: string | null;
  /** Immutable id that survives renames and moves. Binary for objectGUID and GUID (see guid.ts). */
  stableIdAttr: StableIdAttr;
  /** Group name shown in Spool. */
  groupNameAttr: string;
  /** Primary membership attribute on group entries. */
  groupMemberAttr: string;
  /** Whether groupMemberAttr values are DNs (member, uniqueMember) or user names (posixGroup memberUid). */
  memberValueType: MemberValueType;
  /** Further membership attributes on group entries, e.g. OpenLDAP's three group styles at once. */
  additionalMemberAttrs: MemberAttrRule[];
  /** How to tell a disabled account (see disabled.ts). */
  disabledRule: DisabledRule;
  /**
   * Attribute that grows on every change, for incremental syncs: AD uSNChanged (per-DC counter, so an
   * incremental sync must stay on one DC) or modifyTimestamp; null when only full syncs are possible.
   */
  changeAttr: 'uSNChanged' | 'modifyTimestamp' | null;
  /**
   * Nested groups: 'in-chain' asks AD to expand with LDAP_MATCHING_RULE_IN_CHAIN (1.2.840.113556.1.4.1941);
   * 'resolve' means Spool walks group-in-group membership itself (with cycle detection).
   */
  nestedGroupsRule: 'in-chain' | 'resolve';
}

export interface ConnectionDefaults {
  security: 'ldaps' | 'starttls' | 'none';
  port: number;
  /** The product refuses plain LDAP binds; 'none' must not be offered. */
  tlsRequired: boolean;
}

export interface DirectoryPreset {
  type: DirectoryType;
  label: string;
  schema: LdapSchema;
  connection: ConnectionDefaults;
}

const AD_SCHEMA: LdapSchema = {
  // objectCategory=person excludes computer accounts, which are objectClass=user too.
  userFilter: '(&(objectCategory=person)(objectClass=user))',
  groupFilter: '(objectClass=group)',
  usernameAttr: 'sAMAccountName',
  usernameAliasAttr: 'userPrincipalName',
  fullNameAttr: 'displayName',
  givenNameAttr: 'givenName',
  surnameAttr: 'sn',
  emailAttr: 'mail',
  otherEmailsAttr: 'proxyAddresses',
  departmentAttr: 'department',
  officeAttr: 'physicalDeliveryOfficeName',
  homeDirAttr: 'homeDirectory',
  cardNumberAttr: 'employeeID',
  cardNumber2Attr: null,
  pinAttr: null,
  stableIdAttr: 'objectGUID',
  groupNameAttr: 'cn',
  groupMemberAttr: 'member',
  memberValueType: 'dn',
  additionalMemberAttrs: [],
  disabledRule: 'ad-uac',
  changeAttr: 'uSNChanged',
  nestedGroupsRule: 'in-chain',
};

const PRESETS: Record<DirectoryType, DirectoryPreset> = {
  'active-directory': {
    type: 'active-directory',
    label: 'Active Directory',
    schema: AD_SCHEMA,
    connection: { security: 'ldaps', port: 636, tlsRequired: false },
  },
  'azure-ad-ds': {
    type: 'azure-ad-ds',
    label: 'Microsoft Entra Domain Services (Azure AD DS)',
    // Same schema as AD; only the secure LDAP endpoint on 636 is reachable from outside the VNet.
    schema: AD_SCHEMA,
    connection: { security: 'ldaps', port: 636, tlsRequired: true },
  },
  openldap: {
    type: 'openldap',
    label: 'OpenLDAP',
    schema: {
      userFilter: '(|(objectClass=inetOrgPerson)(objectClass=posixAccount))',
      groupFilter: '(|(objectClass=groupOfNames)(objectClass=groupOfUniqueNames)(objectClass=posixGroup))',
      usernameAttr: 'uid',
      usernameAliasAttr: 'mail',
      fullNameAttr: 'cn',
      givenNameAttr: 'givenName',
      surnameAttr: 'sn',
      emailAttr: 'mail',
      otherEmailsAttr: null,
      departmentAttr: 'departmentNumber',
      officeAttr: 'physicalDeliveryOfficeName',
      homeDirAttr: 'homeDirectory',
      cardNumberAttr: 'employeeNumber',
      cardNumber2Attr: null,
      pinAttr: null,
      stableIdAttr: 'entryUUID',
      groupNameAttr: 'cn',
      groupMemberAttr: 'member',
      memberValueType: 'dn',
      additionalMemberAttrs: [
        { attr: 'uniqueMember', valueType: 'dn' },
        { attr: 'memberUid', valueType: 'uid' },
      ],
      disabledRule: 'openldap-locked',
      changeAttr: 'modifyTimestamp',
      nestedGroupsRule: 'resolve',
    },
    connection: { security: 'starttls', port: 389, tlsRequired: false },
  },
  edirectory: {
    type: 'edirectory',
    label: 'NetIQ eDirectory',
    schema: {
      userFilter: '(objectClass=inetOrgPerson)',
      groupFilter: '(objectClass=groupOfNames)',
      usernameAttr: 'cn',
      usernameAliasAttr: 'uid',
      fullNameAttr: 'fullName',
      givenNameAttr: 'givenName',
      surnameAttr: 'sn',
      emailAttr: 'mail',
      otherEmailsAttr: null,
      departmentAttr: 'ou',
      officeAttr: 'physicalDeliveryOfficeName',
      // eDirectory writes "cn=VOLUME,o=org#0#\path"; the sync turns it into a path.
      homeDirAttr: 'ndsHomeDirectory',
      cardNumberAttr: 'workforceID',
      cardNumber2Attr: null,
      pinAttr: null,
      stableIdAttr: 'GUID',
      groupNameAttr: 'cn',
      groupMemberAttr: 'member',
      memberValueType: 'dn',
      additionalMemberAttrs: [],
      disabledRule: 'edirectory-login-disabled',
      changeAttr: 'modifyTimestamp',
      nestedGroupsRule: 'resolve',
    },
    connection: { security: 'ldaps', port: 636, tlsRequired: false },
  },
};

export function isDirectoryType(v: unknown): v is DirectoryType {
  return typeof v === 'string' && (DIRECTORY_TYPES as readonly string[]).includes(v);
}

/** The whole preset (schema and connection defaults) for a server type. */
export function presetFor(type: DirectoryType): DirectoryPreset {
  const p = PRESETS[type];
  if (!p) throw new SpoolError('ldap.unknown_server_type', `Unknown directory server type "${String(type)}".`, { status: 400 });
  return { ...p, schema: presetSchema(type), connection: { ...p.connection } };
}

/** A fresh copy of the preset's schema (safe to mutate). */
export function presetSchema(type: DirectoryType): LdapSchema {
  const p = PRESETS[type];
  if (!p) throw new SpoolError('ldap.unknown_server_type', `Unknown directory server type "${String(type)}".`, { status: 400 });
  return { ...p.schema, additionalMemberAttrs: p.schema.additionalMemberAttrs.map((r) => ({ ...r })) };
}

const REQUIRED: readonly (keyof LdapSchema)[] = [
  'userFilter', 'groupFilter', 'usernameAttr', 'fullNameAttr', 'givenNameAttr', 'surnameAttr', 'emailAttr',
  'stableIdAttr', 'groupNameAttr', 'groupMemberAttr', 'memberValueType', 'disabledRule', 'nestedGroupsRule',
];

/**
 * Applies admin overrides to a preset. `undefined` keeps the preset's value; `null` or an empty/blank string
 * switches an optional attribute off. Blanking a required field is an error (`ldap.schema_invalid`).
 * String values are trimmed.
 */
export function mergeSchema(preset: LdapSchema, overrides: Partial<{ [K in keyof LdapSchema]: LdapSchema[K] | null | '' }>): LdapSchema {
  const out: Record<string, unknown> = { ...preset, additionalMemberAttrs: preset.additionalMemberAttrs.map((r) => ({ ...r })) };
  for (const [key, raw] of Object.entries(overrides)) {
    if (raw === undefined || !(key in preset)) continue;
    const value = typeof raw === 'string' ? raw.trim() : raw;
    const blank = value === null || value === '';
    if (blank) {
      if ((REQUIRED as readonly string[]).includes(key)) {
        throw new SpoolError('ldap.schema_invalid', `The directory setting "${key}" cannot be empty.`, {
          hint: 'Leave it unchanged to use the server type\'s default.',
          status: 400,
          details: { field: key },
        });
      }
      out[key] = key === 'additionalMemberAttrs' ? [] : null;
      continue;
    }
    out[key] = value;
  }
  return out as unknown as LdapSchema;
}

/** Every membership rule of a schema: the primary one first. */
export function memberAttrRules(schema: LdapSchema): MemberAttrRule[] {
  return [{ attr: schema.groupMemberAttr, valueType: schema.memberValueType }, ...schema.additionalMemberAttrs];
}

/** Attributes a user search needs for this schema, including those of its disabled rule (no duplicates/nulls). */
export function userAttributes(schema: LdapSchema): string[] {
  const attrs = [
    schema.usernameAttr, schema.usernameAliasAttr, schema.fullNameAttr, schema.givenNameAttr, schema.surnameAttr,
    schema.emailAttr, schema.otherEmailsAttr, schema.departmentAttr, schema.officeAttr, schema.homeDirAttr,
    schema.cardNumberAttr, schema.cardNumber2Attr, schema.pinAttr, schema.stableIdAttr, schema.changeAttr,
    ...disabledRuleAttributes(schema.disabledRule),
  ];
  const seen = new Set<string>();
  const out: string[] = [];
  for (const a of attrs) {
    if (a && !seen.has(a.toLowerCase())) {
      seen.add(a.toLowerCase());
      out.push(a);
    }
  }
  return out;
}
