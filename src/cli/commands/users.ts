import type { Command } from 'commander';
import { formatCents } from '../../domain/money.ts';
import { SpoolError } from '../../errors.ts';
import { cliActor, withApp } from '../context.ts';
import { emit, readStdin, table } from '../output.ts';
import { isUserSource } from '../../domain/users.ts';

const SORTS = ['username', 'fullName', 'email', 'department', 'source', 'createdAt', 'balance'] as const;

export function intOption(name: string, value: string, min: number, max: number): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < min || n > max) throw new SpoolError('cli.usage', `--${name} must be a whole number from ${min} to ${max}.`);
  return n;
}

export function registerUsersCommands(program: Command): void {
  const users = program.command('users').description('List, show, add, disable, enable and delete users');
  users
    .command('list')
    .description('List users (paged)')
    .option('--search <text>', 'username/email prefix, name substring, or exact card number')
    .option('--source <source>', 'internal, ldap or scim')
    .option('--disabled', 'only disabled users')
    .option('--enabled', 'only enabled users')
    .option('--sort <field>', `one of ${SORTS.join(', ')}`, 'username')
    .option('--desc', 'descending order')
    .option('--limit <n>', 'page size', '100')
    .option('--offset <n>', 'skip this many', '0')
    .option('--json', 'JSON output')
    .action(async (o: Record<string, string | boolean | undefined>) => {
      const sort = String(o.sort);
      if (!(SORTS as readonly string[]).includes(sort)) throw new SpoolError('cli.usage', `--sort must be one of ${SORTS.join(', ')}.`);
      const source = o.source as string | undefined;
      if (source !== undefined && !isUserSource(source)) throw new SpoolError('cli.usage', '--source must be internal, ldap or scim.');
      const q = {
        search: o.search as string | undefined,
        source,
        disabled: o.disabled ? true : o.enabled ? false : undefined,
        sort: sort as (typeof SORTS)[number],
        order: (o.desc ? 'desc' : 'asc') as 'asc' | 'desc',
        limit: intOption('limit', String(o.limit), 1, 10_000),
        offset: intOption('offset', String(o.offset), 0, Number.MAX_SAFE_INTEGER),
      };
      const r = await withApp((app) => app.services.users.list(q));
      emit({ json: Boolean(o.json) }, r, () =>
        table(
          r.items.map((u) => ({ username: u.username, name: u.fullName, email: u.email, source: u.source, balance: formatCents(u.balanceCents), disabled: u.disabled ? 'yes' : '' })),
          ['username', 'name', 'email', 'source', 'balance', 'disabled'],
        ) + `\n${r.items.length} of ${r.total} user(s)`,
      );
    });
  users
    .command('show')
    .argument('<username>', 'username, alias, or #id')
    .option('--json', 'JSON output')
    .description('Show a user with account, groups, transactions and print jobs')
    .action(async (username: string, o: { json?: boolean }) => {
      const r = await withApp((app) => app.services.users.show(username));
      emit(o, r, () =>
        [
          `Username:    ${r.user.username}${r.user.usernameAlias ? ` (alias ${r.user.usernameAlias})` : ''}`,
          `Full name:   ${r.user.fullName}`,
          `Email:       ${r.user.email ?? ''}`,
          `Source:      ${r.user.source}${r.user.ldapDn ? ` (${r.user.ldapDn})` : ''}`,
          `Status:      ${r.user.disabled ? `disabled since ${r.user.disabledAt ?? '?'}` : 'enabled'}`,
          `Card:        ${r.user.cardNumber ?? ''}`,
          `Balance:     ${r.account ? formatCents(r.account.balanceCents) : '-'}${r.account?.restricted ? ' (restricted)' : ''}`,
          `Groups:      ${r.groups.map((g) => g.name).join(', ')}`,
          `Transactions (latest ${r.transactions.length}):`,
          ...r.transactions.slice(0, 10).map((t) => `  ${t.createdAt}  ${formatCents(t.amountCents).padStart(9)}  ${t.reason} (${t.actor})`),
        ].join('\n'),
      );
    });
  users
    .command('add')
    .argument('<username>')
    .option('--full-name <name>')
    .option('--email <email>')
    .option('--department <dept>')
    .option('--office <office>')
    .option('--card-number <card>')
    .option('--initial-balance <amount>', 'e.g. 5.00')
    .option('--unrestricted', 'may print without credit')
    .option('--password-stdin', 'read a password for portal sign-in from standard input')
    .option('--json', 'JSON output')
    .description('Add an internal user (never touched by any sync)')
    .action(async (username: string, o: Record<string, string | boolean | undefined>) => {
      const password = o.passwordStdin ? await readStdin() : undefined;
      const user = await withApp((app) =>
        app.services.users.add(
          {
            username,
            fullName: o.fullName as string | undefined,
            email: o.email as string | undefined,
            department: o.department as string | undefined,
            office: o.office as string | undefined,
            cardNumber: o.cardNumber as string | undefined,
            initialBalance: o.initialBalance as string | undefined,
            restricted: o.unrestricted ? false : undefined,
            password,
          },
          cliActor(),
        ),
      );
      emit({ json: Boolean(o.json) }, user, () => `Added user ${user.username}.`);
    });
  for (const [name, disabled] of [['disable', true], ['enable', false]] as const) {
    users
      .command(name)
      .argument('<username>')
      .option('--json', 'JSON output')
      .description(disabled ? 'Disable a user (cannot sign in or print; balance and history kept)' : 'Enable a disabled user')
      .action(async (username: string, o: { json?: boolean }) => {
        const user = await withApp((app) => app.services.users.setDisabled(username, disabled, cliActor()));
        emit(o, user, () => `User ${user.username} is now ${disabled ? 'disabled' : 'enabled'}.`);
      });
  }
  users
    .command('delete')
    .argument('<username>')
    .option('--yes', 'confirm: the user, account, transactions and jobs are removed')
    .option('--json', 'JSON output')
    .description('Delete a user and their history')
    .action(async (username: string, o: { json?: boolean; yes?: boolean }) => {
      if (!o.yes) throw new SpoolError('cli.usage', `Deleting ${username} removes their balance and history.`, { hint: 'Add --yes to confirm, or use "spool users disable" to keep them.' });
      const user = await withApp((app) => app.services.users.remove(username, cliActor()));
      emit(o, { deleted: user.username }, () => `Deleted user ${user.username}.`);
    });
}
