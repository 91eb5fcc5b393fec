/** Accounts and their transactions. Every balance change writes a transaction row in the same DB transaction. */
import { sql } from 'kysely';
import type { Account, Transaction } from '../domain/accounts.ts';
import type { Db } from './database.ts';

export function createAccountsRepo(db: Db) {
  return {
    async get(userId: number): Promise<Account | undefined> {
      const r = await db.selectFrom('accounts').selectAll().where('userId', '=', userId).executeTakeFirst();
      return r && { userId: r.userId, balanceCents: r.balanceCents, restricted: r.restricted === 1, overdraftCents: r.overdraftCents };
    },
    async create(userId: number, balanceCents: number, restricted: boolean, now: string): Promise<void> {
      await db.insertInto('accounts').values({ userId, balanceCents, restricted: restricted ? 1 : 0, overdraftCents: 0, updatedAt: now }).execute();
    },
    /**
     * Adds `amountCents` atomically (a single UPDATE ... RETURNING, so two concurrent charges never
     * overwrite each other) and records the transaction.
     */
    async adjust(userId: number, amountCents: number, reason: string, actor: string, now: string): Promise<Transaction> {
      const r = await db
        .updateTable('accounts')
        .set({ balanceCents: sql<number>`balance_cents + ${amountCents}`, updatedAt: now })
        .where('userId', '=', userId)
        .returning('balanceCents')
        .executeTakeFirstOrThrow();
      const t = await db
        .insertInto('transactions')
        .values({ userId, amountCents, balanceAfterCents: r.balanceCents, reason, actor, createdAt: now })
        .returning('id')
        .executeTakeFirstOrThrow();
      return { id: t.id, userId, amountCents, balanceAfterCents: r.balanceCents, reason, actor, createdAt: now };
    },
    async setRestricted(userId: number, restricted: boolean, now: string): Promise<void> {
      await db.updateTable('accounts').set({ restricted: restricted ? 1 : 0, updatedAt: now }).where('userId', '=', userId).execute();
    },
    async transactions(userId: number, limit = 50): Promise<Transaction[]> {
      return db.selectFrom('transactions').selectAll().where('userId', '=', userId).orderBy('id', 'desc').limit(limit).execute();
    },
  };
}

export type AccountsRepo = ReturnType<typeof createAccountsRepo>;
