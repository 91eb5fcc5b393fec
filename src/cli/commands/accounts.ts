import type { Command } from 'commander';
import { formatCents } from '../../domain/money.ts';
import { SpoolError } from '../../errors.ts';
import { cliActor, withApp } from '../context.ts';
import { emit } from '../output.ts';

export function registerAccountsCommands(program: Command): void {
  const accounts = program.command('accounts').description('Print accounts');
  accounts
    .command('adjust')
    .argument('<username>')
    .argument('<amount>', 'e.g. 5, -2.50 (use -- before a negative amount)')
    .requiredOption('--reason <text>', 'why (kept in the transaction history)')
    .option('--json', 'JSON output')
    .description('Add to or subtract from a balance')
    .action(async (username: string, amount: string, o: { reason: string; json?: boolean }) => {
      if (!o.reason) throw new SpoolError('cli.usage', 'A --reason is required.');
      const r = await withApp((app) => app.services.users.adjustBalance(username, amount, o.reason, cliActor()));
      emit(o, { username: r.user.username, ...r.transaction }, () => `${r.user.username}: ${formatCents(r.transaction.amountCents)} -> balance ${formatCents(r.transaction.balanceAfterCents)}`);
    });
}
