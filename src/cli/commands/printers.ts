/** `spool printers ...` (queues and their cost per page, test prints) and `spool quota run`. */
import type { Command } from 'commander';
import type { App } from '../../app.ts';
import { formatCents } from '../../domain/money.ts';
import { SpoolError } from '../../errors.ts';
import type { Printer } from '../../services/printing-service.ts';
import type { ServeHook } from '../serve-hooks.ts';
import { cliActor, withApp } from '../context.ts';
import { emit, table } from '../output.ts';

const row = (p: Printer) => ({ id: p.id, name: p.name, cost: formatCents(p.costPerPageCents), status: p.disabled ? 'disabled' : 'enabled' });

export function registerPrintersCommands(program: Command): void {
  const printers = program.command('printers').description('Printers (queues) and their cost per page');
  printers
    .command('list')
    .option('--json', 'JSON output')
    .description('List printers')
    .action(async (o: { json?: boolean }) => {
      const list = await withApp((app) => app.services.printing.listPrinters());
      emit(o, list, () => table(list.map(row), ['id', 'name', 'cost', 'status']));
    });
  printers
    .command('add')
    .argument('<name>')
    .requiredOption('--cost <amount>', 'cost per page, e.g. 0.10')
    .option('--json', 'JSON output')
    .description('Add a printer')
    .action(async (name: string, o: { cost: string; json?: boolean }) => {
      const p = await withApp((app) => app.services.printing.addPrinter({ name, cost: o.cost }, cliActor()));
      emit(o, p, () => `Added printer ${p.name} (${formatCents(p.costPerPageCents)} per page).`);
    });
  printers
    .command('set')
    .argument('<printer>', 'name or #id')
    .option('--cost <amount>', 'new cost per page, e.g. 0.15')
    .option('--name <name>', 'new name')
    .option('--json', 'JSON output')
    .description('Change a printer\'s name or cost per page')
    .action(async (ref: string, o: { cost?: string; name?: string; json?: boolean }) => {
      if (o.cost === undefined && o.name === undefined) throw new SpoolError('cli.usage', 'Nothing to change: pass --cost and/or --name.');
      const p = await withApp((app) => app.services.printing.updatePrinter(ref, { cost: o.cost, name: o.name }, cliActor()));
      emit(o, p, () => `Updated printer ${p.name} (${formatCents(p.costPerPageCents)} per page).`);
    });
  for (const [verb, disabled] of [['disable', true], ['enable', false]] as const) {
    printers
      .command(verb)
      .argument('<printer>', 'name or #id')
      .option('--json', 'JSON output')
      .description(`${disabled ? 'Disable' : 'Enable'} a printer`)
      .action(async (ref: string, o: { json?: boolean }) => {
        const p = await withApp((app) => app.services.printing.updatePrinter(ref, { disabled }, cliActor()));
        emit(o, p, () => `Printer ${p.name} is ${p.disabled ? 'disabled' : 'enabled'}.`);
      });
  }
  printers
    .command('test-print')
    .argument('<username>', 'the user charged for the page')
    .argument('<printer>', 'name or #id')
    .option('--json', 'JSON output')
    .description('Send a one-page test job, charged to the user at the printer\'s cost')
    .action(async (username: string, ref: string, o: { json?: boolean }) => {
      const r = await withApp((app) => app.services.printing.testPrint(username, ref, cliActor()));
      emit(o, r, () => `Printed job #${r.jobId} on ${r.printer}: charged ${formatCents(r.costCents)}, balance now ${formatCents(r.balanceCents)}.`);
    });

  program
    .command('quota')
    .description('Scheduled group quotas')
    .command('run')
    .option('--json', 'JSON output')
    .description('Grant every group quota that is due now (spool serve does this on its own every 15 minutes)')
    .action(async (o: { json?: boolean }) => {
      const r = await withApp((app) => app.services.quota.run(cliActor()));
      emit(o, r, () =>
        r.grants.length
          ? table(r.grants.map((g) => ({ group: g.group, period: g.period, amount: formatCents(g.amountCents), users: g.users })), ['group', 'period', 'amount', 'users']) + `\n${r.notDue} other quota(s) not due yet`
          : `No quota was due (${r.notDue} quota(s) already granted this period).`,
      );
    });
}

export const QUOTA_INTERVAL_MS = 15 * 60_000;

/** `spool serve`: grant due quotas at start and every 15 minutes (a missed period is granted on the next tick). */
export const quotaServeHook: ServeHook = async (spool: App) => {
  const tick = (): void =>
    void spool.services.quota.run('system:quota').catch((e: unknown) => spool.log.error({ err: e }, 'scheduled quota run failed'));
  tick();
  const timer = setInterval(tick, QUOTA_INTERVAL_MS);
  timer.unref();
  return () => clearInterval(timer);
};
