/** Response and request shapes of the JSON API. Responses list every field they may carry: nothing else leaves. */
import { z } from 'zod';
import { USER_SOURCES } from '../../domain/users.ts';

export const UserOut = z.object({
  id: z.number().int(),
  username: z.string(),
  usernameAlias: z.string().nullable(),
  fullName: z.string(),
  email: z.string().nullable(),
  otherEmails: z.array(z.string()),
  department: z.string().nullable(),
  office: z.string().nullable(),
  cardNumber: z.string().nullable(),
  cardNumber2: z.string().nullable(),
  homeDir: z.string().nullable(),
  disabled: z.boolean(),
  disabledAt: z.string().nullable(),
  disabledReason: z.string().nullable(),
  source: z.enum(USER_SOURCES),
  sourceId: z.string().nullable(),
  ldapDn: z.string().nullable(),
  scimExternalId: z.string().nullable(),
  hasPin: z.boolean(),
  createdAt: z.string(),
  updatedAt: z.string(),
});

export const UserListItemOut = UserOut.extend({ balanceCents: z.number().int(), restricted: z.boolean() });

export const AccountOut = z.object({ balanceCents: z.number().int(), restricted: z.boolean(), overdraftCents: z.number().int() });

export const TransactionOut = z.object({
  id: z.number().int(),
  amountCents: z.number().int(),
  balanceAfterCents: z.number().int(),
  reason: z.string(),
  actor: z.string(),
  createdAt: z.string(),
});

export const PrintJobOut = z.object({
  id: z.number().int(),
  printerName: z.string(),
  documentName: z.string(),
  pages: z.number().int(),
  costCents: z.number().int(),
  status: z.string(),
  createdAt: z.string(),
});

export const UserDetailOut = z.object({
  user: UserOut,
  account: AccountOut.nullable(),
  groups: z.array(z.object({ id: z.number().int(), name: z.string(), direct: z.boolean() })),
  transactions: z.array(TransactionOut),
  jobs: z.array(PrintJobOut),
});

export const GroupOut = z.object({
  id: z.number().int(),
  name: z.string(),
  source: z.string(),
  sourceId: z.string().nullable(),
  ldapDn: z.string().nullable(),
  initialCreditCents: z.number().int().nullable(),
  initialRestricted: z.preprocess((v) => (v === null || v === undefined ? null : v === 1 || v === true), z.boolean().nullable()),
  quotaCents: z.number().int().nullable(),
  quotaPeriod: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
});

export const SettingOut = z.object({
  key: z.string(),
  kind: z.string(),
  description: z.string(),
  value: z.unknown(),
  default: z.unknown(),
  isDefault: z.boolean(),
  values: z.array(z.string()).optional(),
});

export const TokenOut = z.object({
  id: z.number().int(),
  name: z.string(),
  tokenPrefix: z.string(),
  createdAt: z.string(),
  lastUsedAt: z.string().nullable(),
  revokedAt: z.string().nullable(),
});

export const Paging = {
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  offset: z.coerce.number().int().min(0).default(0),
};

export const boolish = z.preprocess((v) => (v === 'true' || v === '1' ? true : v === 'false' || v === '0' ? false : v), z.boolean());
