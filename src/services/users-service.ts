/** Use cases on users: add (internal), show, list, disable/enable, delete, account adjustments. */
import { applyAdjustment, assertReason } from '../domain/accounts.ts';
import { initialAccountFor } from '../domain/groups.ts';
import { parseAmountToCents } from '../domain/money.ts';
import { assertEmail, normalizeUsername, type User } from '../domain/users.ts';
import { SpoolError } from '../errors.ts';
import { hashPassword } from '../security/passwords.ts';
import { inTransaction, type Repositories } from '../store/repositories.ts';
import { isUniqueViolation } from '../store/sql-errors.ts';
import type { UserListQuery } from '../store/users-repo.ts';
import { rowToUser } from '../store/users-repo.ts';
import { nowIso, type ServiceDeps } from './deps.ts';
import type { SettingsService } from './settings-service.ts';

export interface NewInternalUser {
  username: string;
  fullName?: string | undefined;
  email?: string | undefined;
  department?: string | undefined;
  office?: string | undefined;
  cardNumber?: string | undefined;
  password?: string | undefined;
  initialBalance?: string | number | undefined;
  restricted?: boolean | undefined;
}

export function createUsersService(deps: ServiceDeps, settings: SettingsService) {
  const { repos } = deps;

  async function requireUser(r: Repositories, ref: string | number): Promise<User> {
    const row = typeof ref === 'number' || /^#\d+$/.test(ref)
      ? await r.users.findById(typeof ref === 'number' ? ref : Number(ref.slice(1)))
      : await r.users.findByLogin(ref.trim());
    if (!row) throw new SpoolError('users.not_found', `No user "${String(ref)}".`, { status: 404, hint: 'Check the spelling, or list users with "spool users list --search TEXT".' });
    return rowToUser(row);
  }

  return {
    requireUser: (ref: string | number) => requireUser(repos, ref),

    async list(q: UserListQuery) {
      const [items, total] = await Promise.all([repos.users.list(q), repos.users.count(q)]);
      return { items, total };
    },

    async show(ref: string | number) {
      const user = await requireUser(repos, ref);
      const [account, groups, transactions, jobs] = await Promise.all([
        repos.accounts.get(user.id),
        repos.users.groupsOf(user.id),
        repos.accounts.transactions(user.id, 50),
        repos.printing.jobsOfUser(user.id, 50),
      ]);
      return { user, account, groups, transactions, jobs };
    },

    async add(input: NewInternalUser, actor: string): Promise<User> {
      const username = normalizeUsername(input.username);
      const email = assertEmail(input.email ?? null);
      const now = nowIso(deps);
      const defaults = {
        balanceCents: Number(await settings.value('sync.initial-credit-cents')),
        restricted: Boolean(await settings.value('sync.initial-restricted')),
      };
      const initial = initialAccountFor([], defaults);
      const balanceCents = input.initialBalance !== undefined ? parseAmountToCents(input.initialBalance) : initial.balanceCents;
      const passwordHash = input.password ? await hashPassword(input.password) : null;
      try {
        return await inTransaction(deps.store.db, async (r) => {
          const id = await r.users.insert({
            username,
            fullName: input.fullName?.trim() ?? '',
            email,
            otherEmails: '[]',
            department: input.department?.trim() || null,
            office: input.office?.trim() || null,
            cardNumber: input.cardNumber?.trim() || null,
            source: 'internal',
            attributes: '{}',
            disabled: 0,
            passwordHash,
            createdAt: now,
            updatedAt: now,
          });
          await r.accounts.create(id, 0, input.restricted ?? initial.restricted, now);
          if (balanceCents !== 0) await r.accounts.adjust(id, balanceCents, 'Initial credit', actor, now);
          await r.audit.record(actor, 'users.add', username, { source: 'internal' }, now);
          return requireUser(r, id);
        });
      } catch (e) {
        if (isUniqueViolation(e)) {
          throw new SpoolError('users.duplicate_username', `A user named "${username}" already exists (usernames are case-insensitive).`, { status: 409, hint: 'Pick another username, or edit the existing user.' });
        }
        throw e;
      }
    },

    async setDisabled(ref: string | number, disabled: boolean, actor: string): Promise<User> {
      const now = nowIso(deps);
      return inTransaction(deps.store.db, async (r) => {
        const user = await requireUser(r, ref);
        if (user.disabled === disabled) return user;
        await r.users.update(user.id, { disabled: disabled ? 1 : 0, disabledAt: disabled ? now : null, disabledReason: disabled ? 'admin' : null, updatedAt: now });
        await r.audit.record(actor, disabled ? 'users.disable' : 'users.enable', user.username, {}, now);
        return requireUser(r, user.id);
      });
    },

    async remove(ref: string | number, actor: string): Promise<User> {
      const now = nowIso(deps);
      return inTransaction(deps.store.db, async (r) => {
        const user = await requireUser(r, ref);
        await r.users.delete(user.id);
        await r.audit.record(actor, 'users.delete', user.username, { source: user.source }, now);
        return user;
      });
    },

    async adjustBalance(ref: string | number, amount: string | number, reason: string, actor: string) {
      const amountCents = parseAmountToCents(amount);
      const why = assertReason(reason);
      if (amountCents === 0) throw new SpoolError('accounts.invalid_amount', 'The amount is zero: nothing to adjust.');
      const now = nowIso(deps);
      return inTransaction(deps.store.db, async (r) => {
        const user = await requireUser(r, ref);
        const account = await r.accounts.get(user.id);
        if (!account) throw new SpoolError('accounts.not_found', `User "${user.username}" has no account.`, { status: 404 });
        applyAdjustment(account, amountCents); // validates the resulting balance
        const transaction = await r.accounts.adjust(user.id, amountCents, why, actor, now);
        await r.audit.record(actor, 'accounts.adjust', user.username, { amountCents, reason: why }, now);
        return { user, transaction };
      });
    },
  };
}
export type UsersService = ReturnType<typeof createUsersService>;
