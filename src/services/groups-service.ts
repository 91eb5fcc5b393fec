/** Groups: listing, detail, and the account policy a group gives its new members (initial credit, quota). */
import { QUOTA_PERIODS, type QuotaPeriod } from '../domain/groups.ts';
import { parseAmountToCents } from '../domain/money.ts';
import { SpoolError } from '../errors.ts';
import { inTransaction } from '../store/repositories.ts';
import { nowIso, type ServiceDeps } from './deps.ts';

export interface GroupPolicyInput {
  initialCredit?: string | number | null | undefined;
  initialRestricted?: boolean | null | undefined;
  quota?: string | number | null | undefined;
  quotaPeriod?: string | null | undefined;
}

export function createGroupsService(deps: ServiceDeps) {
  const { repos } = deps;

  async function requireGroup(ref: string | number) {
    const g = typeof ref === 'number' || /^#\d+$/.test(ref) ? await repos.groups.findById(typeof ref === 'number' ? ref : Number(ref.slice(1))) : await repos.groups.findByName(ref);
    if (!g) throw new SpoolError('groups.not_found', `No group "${String(ref)}".`, { status: 404, hint: 'List groups with "spool groups list".' });
    return g;
  }

  return {
    requireGroup,
    async list(opts: { search?: string | undefined; limit: number; offset: number }) {
      const [items, total] = await Promise.all([repos.groups.list(opts), repos.groups.count(opts.search)]);
      return { items, total };
    },
    async show(ref: string | number, opts: { limit: number; offset: number } = { limit: 100, offset: 0 }) {
      const group = await requireGroup(ref);
      const [memberCount, members] = await Promise.all([repos.groups.memberCount(group.id), repos.groups.members(group.id, opts.limit, opts.offset)]);
      return { group, memberCount, members };
    },
    async setPolicy(ref: string | number, input: GroupPolicyInput, actor: string) {
      const group = await requireGroup(ref);
      const patch: Record<string, unknown> = {};
      if (input.initialCredit !== undefined) patch.initialCreditCents = input.initialCredit === null || input.initialCredit === '' ? null : parseAmountToCents(input.initialCredit);
      if (input.initialRestricted !== undefined) patch.initialRestricted = input.initialRestricted === null ? null : input.initialRestricted ? 1 : 0;
      if (input.quota !== undefined) patch.quotaCents = input.quota === null || input.quota === '' ? null : parseAmountToCents(input.quota);
      if (input.quotaPeriod !== undefined) {
        if (input.quotaPeriod !== null && input.quotaPeriod !== '' && !QUOTA_PERIODS.includes(input.quotaPeriod as QuotaPeriod)) {
          throw new SpoolError('groups.invalid_quota_period', `"${input.quotaPeriod}" is not a quota period.`, { hint: 'Use day, week or month.' });
        }
        patch.quotaPeriod = input.quotaPeriod || null;
      }
      if (patch.quotaCents !== undefined && patch.quotaCents !== null && (patch.quotaCents as number) < 0) {
        throw new SpoolError('groups.invalid_quota', 'A quota cannot be negative.');
      }
      const now = nowIso(deps);
      await inTransaction(deps.store.db, async (r) => {
        await r.groups.update(group.id, patch, now);
        await r.audit.record(actor, 'groups.policy', group.name, patch, now);
      });
      return requireGroup(group.id);
    },
  };
}
export type GroupsService = ReturnType<typeof createGroupsService>;
