/**
 * Scheduled group quotas: a group with `quotaCents` per day, week or month credits each enabled member
 * once per period (domain/groups.ts quotaDue). Set-based SQL, so a 50,000-member group is two statements,
 * not 100,000; and the period is claimed with a conditional UPDATE first, so two Spool nodes (or a CLI
 * run beside the server) never grant the same period twice.
 */
import { sql } from 'kysely';
import { QUOTA_PERIODS, quotaDue, type QuotaPeriod } from '../domain/groups.ts';
import { formatCents } from '../domain/money.ts';
import { inTransaction } from '../store/repositories.ts';
import type { ServiceDeps } from './deps.ts';

export interface QuotaGrant {
  group: string;
  period: QuotaPeriod;
  amountCents: number;
  users: number;
}

export interface QuotaRunResult {
  grants: QuotaGrant[];
  /** Groups with a quota that was not due yet. */
  notDue: number;
}

export function createQuotaService(deps: ServiceDeps) {
  const { store } = deps;

  /** Credits every due group quota. Each group is its own transaction: one failure leaves the others granted. */
  async function run(actor: string): Promise<QuotaRunResult> {
    const now = deps.clock();
    const at = now.toISOString();
    const groups = await store.db
      .selectFrom('groups')
      .select(['id', 'name', 'quotaCents', 'quotaPeriod', 'quotaLastRunAt'])
      .where('quotaCents', 'is not', null)
      .where('quotaCents', '>', 0)
      .where('quotaPeriod', 'in', [...QUOTA_PERIODS])
      .orderBy('id')
      .execute();
    const grants: QuotaGrant[] = [];
    let notDue = 0;
    for (const g of groups) {
      const period = g.quotaPeriod as QuotaPeriod;
      const amountCents = g.quotaCents ?? 0;
      if (!quotaDue(period, g.quotaLastRunAt, now)) {
        notDue++;
        continue;
      }
      const users = await inTransaction(store.db, async (r, trx) => {
        // Claim this period: only the run that moves quota_last_run_at from the value it read grants it.
        let claim = trx.updateTable('groups').set({ quotaLastRunAt: at }).where('id', '=', g.id);
        claim = g.quotaLastRunAt === null ? claim.where('quotaLastRunAt', 'is', null) : claim.where('quotaLastRunAt', '=', g.quotaLastRunAt);
        const claimed = Number((await claim.executeTakeFirst()).numUpdatedRows);
        if (claimed === 0) return undefined;
        const members = (eb: typeof trx) =>
          eb.selectFrom('memberships').innerJoin('users', 'users.id', 'memberships.userId').select('memberships.userId').where('memberships.groupId', '=', g.id).where('users.disabled', '=', 0);
        const updated = await trx
          .updateTable('accounts')
          .set({ balanceCents: sql<number>`balance_cents + ${amountCents}`, updatedAt: at })
          .where('userId', 'in', members(trx))
          .executeTakeFirst();
        const reason = `${period === 'day' ? 'Daily' : period === 'week' ? 'Weekly' : 'Monthly'} quota of group ${g.name}`;
        // The balance after is read in the same transaction, right after the update.
        await trx
          .insertInto('transactions')
          .columns(['userId', 'amountCents', 'balanceAfterCents', 'reason', 'actor', 'createdAt'])
          .expression((eb) =>
            eb
              .selectFrom('accounts')
              .select([
                'accounts.userId',
                // Explicit casts: PostgreSQL types bare parameters in a SELECT list as text.
                sql<number>`cast(${amountCents} as bigint)`.as('amountCents'),
                'accounts.balanceCents',
                sql<string>`cast(${reason} as text)`.as('reason'),
                sql<string>`cast(${actor} as text)`.as('actor'),
                sql<string>`cast(${at} as text)`.as('createdAt'),
              ])
              .where('accounts.userId', 'in', members(trx)),
          )
          .execute();
        const n = Number(updated.numUpdatedRows);
        await r.audit.record(actor, 'groups.quota-granted', g.name, { period, amountCents, users: n }, at);
        return n;
      });
      if (users !== undefined) {
        grants.push({ group: g.name, period, amountCents, users });
        deps.log.info({ group: g.name, users, amount: formatCents(amountCents) }, 'group quota granted');
      }
    }
    return { grants, notDue };
  }

  return { run };
}
export type QuotaService = ReturnType<typeof createQuotaService>;
