/** Print accounts: balances, restrictions and what a job may cost. */
import { SpoolError } from '../errors.ts';
import { assertCents, formatCents } from './money.ts';

export interface Account {
  userId: number;
  balanceCents: number;
  restricted: boolean;
  overdraftCents: number;
}

export interface Transaction {
  id: number;
  userId: number;
  amountCents: number;
  balanceAfterCents: number;
  reason: string;
  actor: string;
  createdAt: string;
}

/** The balance after a change; refuses amounts that are not whole cents. */
export function applyAdjustment(account: Account, amountCents: number): number {
  assertCents(amountCents);
  const next = account.balanceCents + amountCents;
  assertCents(next, 'resulting balance');
  return next;
}

/**
 * A restricted account cannot go below -overdraft; an unrestricted one may (staff who are billed later).
 */
export function assertCanAfford(account: Account, costCents: number): void {
  if (!account.restricted) return;
  const floor = -account.overdraftCents;
  if (account.balanceCents - costCents < floor) {
    throw new SpoolError('accounts.insufficient_credit', `Not enough credit: this job costs ${formatCents(costCents)} and the balance is ${formatCents(account.balanceCents)}.`, {
      hint: 'Ask for your account to be topped up, or print fewer pages.',
      status: 402,
    });
  }
}

export function assertReason(reason: string): string {
  const r = reason.trim();
  if (r.length === 0 || r.length > 500) {
    throw new SpoolError('accounts.invalid_reason', 'A reason (1-500 characters) is required for every balance change.', {
      hint: 'Pass --reason "why" (e.g. --reason "Term credit").',
    });
  }
  return r;
}
