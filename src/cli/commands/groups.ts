import type { Command } from 'commander';
import { formatCents } from '../../domain/money.ts';
import { cliActor, withApp } from '../context.ts';
import { emit, table } from '../output.ts';
import { intOption } from './users.ts';

const money = (c: number | null): string => (c === null ? '' : formatCents(c));

export function registerGroupsCommands(program: Command): void {
  const groups = program.command('groups').description('Groups and their account policies');
  groups
    .command('list')
    .option('--search <text>')
    .option('--limit <n>', 'page size', '100')
    .option('--offset <n>', 'skip this many', '0')
    .option('--json', 'JSON output')
    .action(async (o: { search?: string; limit: string; offset: string; json?: boolean }) => {
      const r = await withApp((app) => app.services.groups.list({ search: o.search, limit: intOption('limit', o.limit, 1, 10_000), offset: intOption('offset', o.offset, 0, Number.MAX_SAFE_INTEGER) }));
      emit(o, r, () => table(r.items.map((g) => ({ name: g.name, source: g.source, members: g.memberCount, initialCredit: money(g.initialCreditCents), quota: g.quotaCents === null ? '' : `${money(g.quotaCents)}/${g.quotaPeriod ?? '?'}` })), ['name', 'source', 'members', 'initialCredit', 'quota']) + `\n${r.items.length} of ${r.total} group(s)`);
    });
  groups
    .command('show')
    .argument('<name>', 'group name or #id')
    .option('--limit <n>', 'members to list', '100')
    .option('--json', 'JSON output')
    .action(async (name: string, o: { json?: boolean; limit: string }) => {
      const r = await withApp((app) => app.services.groups.show(name, { limit: intOption('limit', o.limit, 0, 100_000), offset: 0 }));
      emit(o, r, () => [`Group:          ${r.group.name} (${r.group.source})`, `Members:        ${r.memberCount}`, `Initial credit: ${money(r.group.initialCreditCents)}`, `Quota:          ${r.group.quotaCents === null ? 'none' : `${money(r.group.quotaCents)} per ${r.group.quotaPeriod}`}`, '', table(r.members.map((m) => ({ username: m.username, name: m.fullName, direct: m.direct ? 'yes' : 'nested' })), ['username', 'name', 'direct'])].join('\n'));
    });
  groups
    .command('set')
    .argument('<name>')
    .option('--initial-credit <amount>', 'credit for new users in this group ("" clears)')
    .option('--initial-restricted <bool>', 'true/false ("" clears)')
    .option('--quota <amount>', 'scheduled quota amount ("" clears)')
    .option('--quota-period <period>', 'day, week or month')
    .option('--json', 'JSON output')
    .description('Set the account policy of a group')
    .action(async (name: string, o: Record<string, string | boolean | undefined>) => {
      const bool = (v: unknown): boolean | null | undefined => (v === undefined ? undefined : v === '' ? null : /^(true|yes|1)$/i.test(String(v)));
      const g = await withApp((app) => app.services.groups.setPolicy(name, { initialCredit: o.initialCredit as string | undefined, initialRestricted: bool(o.initialRestricted), quota: o.quota as string | undefined, quotaPeriod: o.quotaPeriod as string | undefined }, cliActor()));
      emit({ json: Boolean(o.json) }, g, () => `Updated group ${g.name}.`);
    });
}
