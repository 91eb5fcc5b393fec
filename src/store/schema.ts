/**
 * The database schema as Kysely sees it (camelCase here, snake_case in SQL via CamelCasePlugin).
 * Booleans are stored as integers 0/1 and timestamps as ISO-8601 UTC text on both engines, so the
 * same queries, indexes and comparisons behave identically on SQLite and PostgreSQL.
 */
import type { ColumnType, Generated, Insertable, Selectable, Updateable } from 'kysely';

/** A schema name's column in SQL ("cardNumber2" -> "card_number2"), as CamelCasePlugin spells it, for SQL written as text. */
export const columnName = (key: string): string => key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

type Bool = number; // 0 | 1
type Timestamp = string; // ISO-8601 UTC, e.g. 2026-11-23T22:05:55.123Z (lexicographic order = time order)

export interface UsersTable {
  id: Generated<number>;
  username: string; // lower-case, unique
  usernameAlias: string | null; // second directory name accepted at sign-in (lower-case)
  fullName: string;
  email: string | null;
  otherEmails: string; // JSON array of strings
  department: string | null;
  office: string | null;
  cardNumber: string | null;
  cardNumber2: string | null;
  pinHash: string | null;
  homeDir: string | null;
  disabled: Bool;
  disabledAt: Timestamp | null;
  disabledReason: string | null; // 'admin' | 'source' | 'missing-from-source' | 'scim'
  source: string; // 'internal' | 'ldap' | 'scim'
  sourceName: string | null; // which sync source ('primary' | 'secondary' | 'scim')
  sourceId: string | null; // objectGUID / entryUUID / eDirectory GUID / SCIM id
  ldapDn: string | null;
  syncDigest: number | null; // userDigest() as the last directory sync wrote the row; cleared by a trigger when another writer changes it
  scimExternalId: string | null;
  attributes: string; // JSON object: extra source attributes (SCIM name parts, title, enterprise extension...)
  passwordHash: string | null; // internal users only (argon2id)
  version: Generated<number>; // bumped on every change (SCIM ETag)
  createdAt: Timestamp;
  updatedAt: Timestamp;
}

export interface GroupsTable {
  id: Generated<number>;
  name: string;
  nameKey: string; // lower-case name, unique
  source: string;
  sourceName: string | null;
  sourceId: string | null;
  ldapDn: string | null;
  scimExternalId: string | null;
  initialCreditCents: number | null; // granted to new users who are members
  initialRestricted: Bool | null;
  quotaCents: number | null; // scheduled quota amount
  quotaPeriod: string | null; // 'day' | 'week' | 'month'
  quotaLastRunAt: Timestamp | null;
  attributes: string;
  version: Generated<number>;
  createdAt: Timestamp;
  updatedAt: Timestamp;
  /** Directory groups: the key of the entry as the last full sync applied its memberships (migration 003). */
  syncKey: ColumnType<number | null, number | null | undefined, number | null>;
}

export interface MembershipsTable {
  groupId: number;
  userId: number;
  direct: Bool; // 1 = direct member in the source, 0 = via a nested group
}

export interface AccountsTable {
  userId: number;
  balanceCents: number;
  restricted: Bool;
  overdraftCents: number;
  updatedAt: Timestamp;
}

export interface TransactionsTable {
  id: Generated<number>;
  userId: number;
  amountCents: number;
  balanceAfterCents: number;
  reason: string;
  actor: string;
  createdAt: Timestamp;
}

export interface PrintersTable {
  id: Generated<number>;
  name: string;
  costPerPageCents: number;
  disabled: Bool;
  createdAt: Timestamp;
  updatedAt: Timestamp;
}

export interface PrintJobsTable {
  id: Generated<number>;
  userId: number;
  printerId: number;
  documentName: string;
  pages: number;
  costCents: number;
  status: string; // 'printed' | 'refused'
  createdAt: Timestamp;
}

export interface SettingsTable {
  key: string;
  value: string; // JSON; secrets as an encrypted envelope
  updatedAt: Timestamp;
  updatedBy: string | null;
}

export interface SyncRunsTable {
  id: Generated<number>;
  source: string; // 'ldap' | 'scim' ...
  mode: string; // 'full' | 'incremental'
  trigger: string; // 'manual' | 'schedule' | 'cli' | 'api'
  dryRun: Bool;
  status: string; // 'running' | 'succeeded' | 'failed' | 'stopped' (delete protection)
  startedAt: Timestamp;
  finishedAt: Timestamp | null;
  durationMs: number | null;
  stats: string; // JSON counts
  error: string | null;
  cursor: string | null; // incremental watermark reached by this run (uSNChanged, modifyTimestamp)
}

export interface SyncLogTable {
  id: Generated<number>;
  runId: number;
  level: string; // 'info' | 'warn' | 'error'
  message: string;
  entry: string | null; // DN or username the line is about
  createdAt: Timestamp;
}

export interface AuditLogTable {
  id: Generated<number>;
  actor: string;
  action: string;
  target: string | null;
  details: string; // JSON
  createdAt: Timestamp;
}

export interface AdminsTable {
  id: Generated<number>;
  username: string;
  passwordHash: string;
  createdAt: Timestamp;
  lastLoginAt: Timestamp | null;
}

export interface SessionsTable {
  idHash: string; // sha256 of the cookie value: a stolen database does not yield live sessions
  kind: string; // 'admin' | 'user'
  subjectId: number; // admins.id or users.id
  csrfToken: string;
  createdAt: Timestamp;
  expiresAt: Timestamp;
}

export interface ApiTokensTable {
  id: Generated<number>;
  kind: string; // 'api' | 'scim'
  name: string;
  tokenHash: string; // sha256 hex of the token (tokens are 256-bit random: no slow hash needed)
  tokenPrefix: string; // first characters, shown in lists so admins can tell tokens apart
  createdAt: Timestamp;
  lastUsedAt: Timestamp | null;
  revokedAt: Timestamp | null;
}

export interface ScimLogTable {
  id: Generated<number>;
  createdAt: Timestamp;
  method: string;
  path: string;
  resourceType: string | null;
  resourceId: string | null;
  operation: string; // 'create' | 'update' | 'patch' | 'delete' | 'read' ...
  status: number;
  ok: Bool;
  durationMs: number;
  error: string | null;
  summary: string | null;
}

export interface LeasesTable {
  name: string;
  holder: string;
  expiresAt: Timestamp;
}

export interface Database {
  users: UsersTable;
  groups: GroupsTable;
  memberships: MembershipsTable;
  accounts: AccountsTable;
  transactions: TransactionsTable;
  printers: PrintersTable;
  printJobs: PrintJobsTable;
  settings: SettingsTable;
  syncRuns: SyncRunsTable;
  syncLog: SyncLogTable;
  auditLog: AuditLogTable;
  admins: AdminsTable;
  sessions: SessionsTable;
  apiTokens: ApiTokensTable;
  scimLog: ScimLogTable;
  leases: LeasesTable;
}

export type UserRow = Selectable<UsersTable>;
export type NewUserRow = Insertable<UsersTable>;
export type UserPatchRow = Updateable<UsersTable>;
export type GroupRow = Selectable<GroupsTable>;
export type AccountRow = Selectable<AccountsTable>;
export type TransactionRow = Selectable<TransactionsTable>;
export type PrinterRow = Selectable<PrintersTable>;
export type PrintJobRow = Selectable<PrintJobsTable>;
export type SyncRunRow = Selectable<SyncRunsTable>;
export type SyncLogRow = Selectable<SyncLogTable>;
export type AuditRow = Selectable<AuditLogTable>;
export type ApiTokenRow = Selectable<ApiTokensTable>;
export type ScimLogRow = Selectable<ScimLogTable>;
export type { ColumnType };
