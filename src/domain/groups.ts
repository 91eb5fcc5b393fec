/** Groups drive new users' accounts (initial credit, restriction) and scheduled quotas. */
import { SpoolError } from '../errors.ts';

export interface GroupAccountPolicy {
  initialCreditCents: number | null;
  initialRestricted: boolean | null;
}

export interface InitialAccount {
  balanceCents: number;
  restricted: boolean;
}

/**
 * A new user in several groups gets the most generous policy: the largest initial credit any of their
 * groups grants, and unrestricted if any group says so. Groups that set nothing fall back to the defaults.
 */
export function initialAccountFor(groups: readonly GroupAccountPolicy[], defaults: InitialAccount): InitialAccount {
  const credits = groups.map((g) => g.initialCreditCents).filter((c): c is number => c !== null);
  const restrictions = groups.map((g) => g.initialRestricted).filter((r): r is boolean => r !== null);
  return {
    balanceCents: credits.length ? Math.max(...credits) : defaults.balanceCents,
    restricted: restrictions.length ? restrictions.every(Boolean) : defaults.restricted,
  };
}

export type QuotaPeriod = 'day' | 'week' | 'month';
export const QUOTA_PERIODS: readonly QuotaPeriod[] = ['day', 'week', 'month'];

/** The start of the quota period containing `at` (UTC): quotas are granted once per period. */
export function quotaPeriodStart(period: QuotaPeriod, at: Date): Date {
  const d = new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), at.getUTCDate()));
  if (period === 'week') d.setUTCDate(d.getUTCDate() - ((d.getUTCDay() + 6) % 7)); // Monday
  if (period === 'month') d.setUTCDate(1);
  return d;
}

/** True if a quota last granted at `lastRunAt` is due again at `now`. */
export function quotaDue(period: QuotaPeriod, lastRunAt: string | null, now: Date): boolean {
  if (!lastRunAt) return true;
  return new Date(lastRunAt) < quotaPeriodStart(period, now);
}

export function normalizeGroupName(raw: string): string {
  const name = raw.normalize('NFC').trim();
  if (name.length === 0 || name.length > 256 || /[\p{Cc}]/u.test(name)) {
    throw new SpoolError('groups.invalid_name', `"${raw}" is not a valid group name.`, { hint: 'Use 1-256 printable characters.' });
  }
  return name;
}
