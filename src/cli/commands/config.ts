import type { Command } from 'commander';
import { cliActor, withApp } from '../context.ts';
import { SpoolError } from '../../errors.ts';
import { emit, readStdin, table } from '../output.ts';

const show = (v: unknown): string => (Array.isArray(v) ? v.join('; ') : typeof v === 'string' ? v : JSON.stringify(v));

export function registerConfigCommands(program: Command): void {
  const config = program.command('config').description('Read and change settings (typed and validated; secrets are stored encrypted and never printed)');
  config
    .command('list')
    .description('List settings with their values')
    .argument('[prefix]', 'only keys starting with this, e.g. ldap.')
    .option('--json', 'JSON output')
    .option('--changed', 'only settings that differ from the default')
    .action(async (prefix: string | undefined, opts: { json?: boolean; changed?: boolean }) => {
      const list = await withApp((app) => app.services.settings.list(prefix));
      const rows = opts.changed ? list.filter((s) => !s.isDefault) : list;
      emit(opts, rows, () => table(rows.map((s) => ({ key: s.key, value: show(s.value), default: s.isDefault ? 'yes' : '' })), ['key', 'value', 'default']));
    });
  config
    .command('get')
    .argument('<key>')
    .option('--json', 'JSON output')
    .description('Show one setting (secrets show "set" or nothing)')
    .action(async (key: string, opts: { json?: boolean }) => {
      const s = await withApp((app) => app.services.settings.describe(key));
      emit(opts, s, () => show(s.value));
    });
  config
    .command('set')
    .argument('<key>')
    .argument('[value]', 'omit with --stdin (recommended for secrets: keeps them out of shell history)')
    .option('--stdin', 'read the value from standard input')
    .option('--json', 'JSON output')
    .description('Change a setting')
    .action(async (key: string, value: string | undefined, opts: { json?: boolean; stdin?: boolean }) => {
      const input = opts.stdin ? await readStdin() : value;
      if (input === undefined) {
        throw new SpoolError('cli.usage', `No value given for ${key}.`, { hint: `Use: spool config set ${key} VALUE (or --stdin).` });
      }
      const s = await withApp((app) => app.services.settings.set(key, input, cliActor()));
      emit(opts, s, () => `${s.key} = ${show(s.value)}`);
    });
}
